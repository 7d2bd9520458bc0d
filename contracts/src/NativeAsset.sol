// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title NativeAsset: the ERC-20 face of a bytom2 native asset.
/// @notice Every native asset has this runtime code at the address derived from its asset id
/// (see docs/native-transactions.md). The issuance precompile (IAssetIssuer at 0xB701) puts
/// it there; it has no constructor. Balances and the total supply are not storage: the node
/// maps the tagged slots below onto the UTXO ledger, so `balanceOf(a)` is exactly the sum of
/// `a`'s unspent outputs of the asset (plus the block's pending change), and a transfer
/// settles into outputs of the asset at the end of the block.
/// @dev The layout of the state variables below is read and written by the node
/// (`bytom2_utxo::native::assets::token_slots`): do not reorder them.
contract NativeAsset {
    string private _name; // slot 0
    string private _symbol; // slot 1
    address private _issuer; // slot 2
    bytes32 private _assetId; // slot 3
    uint256 private _decimals; // slot 4
    bytes private _data; // slot 5
    mapping(address owner => mapping(address spender => uint256)) private _allowances; // slot 6

    /// @dev Balance of `a` lives at slot ("bytom2/bal" ‖ 0x0000 ‖ a).
    bytes12 private constant BALANCE_TAG = "bytom2/bal";
    /// @dev keccak256("bytom2/supply"): reads as the asset's total supply.
    uint256 private constant SUPPLY_SLOT = 0x3d2a231c626bafd4a801c29b2c7e4e478079663fc1d02fc61d5c1bd7a48c679e;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
    error ERC20InvalidSender(address sender);
    error ERC20InvalidReceiver(address receiver);
    error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    error ERC20InvalidApprover(address approver);
    error ERC20InvalidSpender(address spender);

    function _balanceSlot(address a) private pure returns (uint256) {
        return (uint256(uint96(BALANCE_TAG)) << 160) | uint256(uint160(a));
    }

    function _balance(address a) private view returns (uint256 v) {
        uint256 s = _balanceSlot(a);
        assembly {
            v := sload(s)
        }
    }

    function _setBalance(address a, uint256 v) private {
        uint256 s = _balanceSlot(a);
        assembly {
            sstore(s, v)
        }
    }

    function name() external view returns (string memory) {
        return _name;
    }

    function symbol() external view returns (string memory) {
        return _symbol;
    }

    function decimals() external view returns (uint8) {
        return uint8(_decimals);
    }

    /// @notice The address that may issue more (through the issuance precompile).
    function issuer() external view returns (address) {
        return _issuer;
    }

    /// @notice The native asset id.
    function assetId() external view returns (bytes32) {
        return _assetId;
    }

    /// @notice The free-form data of the asset's definition.
    function data() external view returns (bytes memory) {
        return _data;
    }

    function totalSupply() external view returns (uint256 v) {
        uint256 s = SUPPLY_SLOT;
        assembly {
            v := sload(s)
        }
    }

    function balanceOf(address account) external view returns (uint256) {
        return _balance(account);
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 current = _allowances[from][msg.sender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(msg.sender, current, value);
            unchecked {
                _allowances[from][msg.sender] = current - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        if (from == address(0)) revert ERC20InvalidSender(address(0));
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 fromBalance = _balance(from);
        if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
        unchecked {
            _setBalance(from, fromBalance - value);
        }
        _setBalance(to, _balance(to) + value);
        emit Transfer(from, to, value);
    }
}
