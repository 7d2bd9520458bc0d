//! Contract fixtures: hand-assembled test contracts at fixed addresses ([`Contracts`]),
//! init code, and the OpenZeppelin ERC-20 test token (`contracts/src/TestToken.sol`,
//! compiled into `contracts/artifacts/TestToken.json`; OpenZeppelin 5 layout: `_balances`
//! at slot 0, `_totalSupply` at slot 2, `_name` and `_symbol` at slots 3 and 4).

use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};

/// The hand-assembled contracts every test chain has at fixed addresses.
#[derive(Debug)]
pub struct Contracts;

impl Contracts {
    /// `SSTORE(cd[0], cd[32])` then `LOG1(0, 0, cd[0])`.
    pub const STORE: Address = Address::repeat_byte(0xA1);
    /// `CALL(gas, cd[0], value = cd[32])`: forwards value out of the contract.
    pub const FORWARD: Address = Address::repeat_byte(0xA2);
    /// Reverts with the 32-byte word 42.
    pub const REVERT: Address = Address::repeat_byte(0xA3);
    /// Loops until out of gas.
    pub const LOOP: Address = Address::repeat_byte(0xA4);
    /// `CREATE2(callvalue, calldata as init code, salt 7)`, stores the address at slot 0.
    pub const FACTORY: Address = Address::repeat_byte(0xA5);
    /// `STATICCALL(precompile = cd[0], input = cd[32..])`, stores the first output word at
    /// slot 1 and the success flag at slot 2.
    pub const PRECOMPILE: Address = Address::repeat_byte(0xA6);

    /// All of them with their runtime code.
    pub fn all() -> Vec<(Address, Bytes)> {
        vec![
            (Self::STORE, hex("6020356000355560003560006000a100")),
            (Self::FORWARD, hex("60006000600060006020356000355af15000")),
            (Self::REVERT, hex("602a60005260206000fd")),
            (Self::LOOP, hex("5b600056")),
            (Self::FACTORY, hex("366000600037600736600034f560005500")),
            (
                Self::PRECOMPILE,
                hex("366000600037602060006020360360206000515afa60025560005160015500"),
            ),
        ]
    }
}

/// Decodes hex (test constants only).
pub fn hex(s: &str) -> Bytes {
    let s = s.trim_start_matches("0x");
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex"))
        .collect();
    Bytes::from(bytes)
}

/// Init code that deploys `runtime`.
pub fn init_code(runtime: &[u8]) -> Bytes {
    let len = runtime.len() as u16;
    let [hi, lo] = len.to_be_bytes();
    // PUSH2 len PUSH1 14 PUSH1 0 CODECOPY PUSH2 len PUSH1 0 RETURN
    let mut code = vec![
        0x61, hi, lo, 0x60, 0x0e, 0x60, 0x00, 0x39, 0x61, hi, lo, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    code.into()
}

/// Init code that self-destructs to the caller while being created.
pub fn selfdestruct_init() -> Bytes {
    hex("33ff")
}

/// Address of the test token in workload chains.
pub const TOKEN: Address = address!("0x00000000000000000000000000000000000e2c20");

/// Token units each sender starts with.
pub const TOKEN_BALANCE: u64 = 1_000_000_000;

/// Runtime bytecode of the test token.
pub fn token_runtime() -> Bytes {
    let artifact: serde_json::Value =
        serde_json::from_str(include_str!("../../../contracts/artifacts/TestToken.json"))
            .expect("artifact is JSON");
    let hex = artifact["deployedBytecode"]
        .as_str()
        .expect("artifact has deployedBytecode");
    alloy_primitives::hex::decode(hex)
        .expect("artifact bytecode is hex")
        .into()
}

/// Storage slot of `_balances[owner]` in the token.
pub fn balance_slot(owner: Address) -> B256 {
    let mut buf = [0u8; 64];
    buf[12..32].copy_from_slice(owner.as_slice());
    keccak256(buf)
}

/// A Solidity short string's storage word.
pub fn short_string(s: &str) -> B256 {
    let mut word = [0u8; 32];
    word[..s.len()].copy_from_slice(s.as_bytes());
    word[31] = (s.len() * 2) as u8;
    B256::from(word)
}

/// `transfer(to, amount)` calldata.
pub fn transfer_calldata(to: Address, amount: U256) -> Bytes {
    let mut data = Vec::with_capacity(68);
    data.extend_from_slice(&[0xa9, 0x05, 0x9c, 0xbb]);
    data.extend_from_slice(B256::left_padding_from(to.as_slice()).as_slice());
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data.into()
}
