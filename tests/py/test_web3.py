"""web3.py against a bytom2 dev node: connect, chain id, balance, a signed transfer."""

from web3 import Web3

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
CHAIN_ID = 19000


def test_connect_balance_and_transfer(node_url):
    w3 = Web3(Web3.HTTPProvider(node_url))
    assert w3.is_connected()
    assert w3.eth.chain_id == CHAIN_ID
    assert w3.client_version.startswith("bytom2/")
    acct = w3.eth.account.from_key(KEY)
    assert w3.eth.get_balance(acct.address) == 10_000 * 10**18

    to = Web3.to_checksum_address("0x000000000000000000000000000000000000f00d")
    block = w3.eth.get_block("latest")
    tx = {
        "to": to,
        "value": 12345,
        "gas": 21000,
        "maxFeePerGas": block["baseFeePerGas"] * 2 + 10**9,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(acct.address, "pending"),
        "chainId": CHAIN_ID,
        "type": 2,
    }
    signed = acct.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.1)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(to) == 12345
    paid = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(acct.address) == 10_000 * 10**18 - 12345 - paid


def test_revert_is_contract_logic_error(node_url):
    from web3.exceptions import ContractLogicError

    w3 = Web3(Web3.HTTPProvider(node_url))
    # Deploy a contract whose runtime reverts with Error("no"), then eth_call it.
    # Runtime: store Error("no") ABI encoding in memory and REVERT(0, 0x64).
    abi = (
        bytes.fromhex("08c379a0")
        + (0x20).to_bytes(32, "big")
        + (2).to_bytes(32, "big")
        + b"no".ljust(32, b"\0")
    )
    code = b""
    for i in range(0, len(abi), 32):
        chunk = abi[i : i + 32].ljust(32, b"\0")
        code += bytes([0x7F]) + chunk + bytes([0x60, i, 0x52])  # PUSH32 chunk PUSH1 i MSTORE
    code += bytes([0x60, len(abi), 0x60, 0x00, 0xFD])  # REVERT(0, len)
    init = (
        bytes([0x61]) + len(code).to_bytes(2, "big") + bytes([0x60, 0x0E, 0x60, 0x00, 0x39])
        + bytes([0x61]) + len(code).to_bytes(2, "big") + bytes([0x60, 0x00, 0xF3]) + code
    )
    acct = w3.eth.account.from_key(KEY)
    block = w3.eth.get_block("latest")
    tx = {
        "data": init,
        "value": 0,
        "gas": 500_000,
        "maxFeePerGas": block["baseFeePerGas"] * 2 + 10**9,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(acct.address, "pending"),
        "chainId": CHAIN_ID,
        "type": 2,
    }
    tx_hash = w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=20, poll_latency=0.1)
    address = receipt["contractAddress"]
    try:
        w3.eth.call({"to": address, "data": "0x"})
        raise AssertionError("call should revert")
    except ContractLogicError as e:
        assert "no" in str(e)
