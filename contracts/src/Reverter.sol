// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// Reverts in the ways clients must decode: a custom error and a require string.
contract Reverter {
    error Unauthorized(address caller, uint256 code);

    uint256 public value;

    function failCustom() external view {
        revert Unauthorized(msg.sender, 42);
    }

    function failRequire() external pure {
        require(false, "bytom2: require failed");
    }

    function set(uint256 v) external {
        require(v != 13, "unlucky");
        value = v;
    }
}
