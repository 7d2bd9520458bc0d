// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The asset-issuance precompile at 0x000000000000000000000000000000000000B701.
/// @notice A contract or an account creates a native asset (and becomes its issuer), then
/// issues more of it. Each asset is an ERC-20 (NativeAsset) at `tokenOf(assetId)`, backed
/// by the UTXO ledger. See docs/native-transactions.md.
interface IAssetIssuer {
    /// @notice A new asset: its id, issuer, ERC-20 address and definition.
    event AssetCreated(
        bytes32 indexed assetId, address indexed issuer, address token, string name, string symbol, uint8 decimals
    );
    /// @notice `amount` of `assetId` issued to `to` (the token also logs Transfer(0, to, amount)).
    event AssetIssued(bytes32 indexed assetId, address indexed to, uint256 amount);

    /// @notice Creates an asset with the caller as issuer. Reverts if the caller already
    /// created one with the same definition, or a field is out of limits (name 1-64 bytes,
    /// symbol 1-16, decimals <= 36, data <= 1024 bytes).
    function createAsset(string calldata name, string calldata symbol, uint8 decimals, bytes calldata data)
        external
        returns (bytes32 assetId, address token);

    /// @notice Issues `amount` of `assetId` to `to`. Only the asset's issuer may call it.
    function issue(bytes32 assetId, address to, uint256 amount) external;

    /// @notice The ERC-20 address of an asset (whether or not it exists).
    function tokenOf(bytes32 assetId) external view returns (address);

    /// @notice The asset of an ERC-20 address, or zero if it is not a native asset.
    function assetOf(address token) external view returns (bytes32);
}
