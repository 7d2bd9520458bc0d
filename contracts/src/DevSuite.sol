// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// A counter only its owner may bump: OpenZeppelin `Ownable` behaviour in the dev-node
/// suite (tests/js/devnode.test.mjs).
contract OwnedCounter is Ownable {
    uint256 public count;

    constructor(address owner) Ownable(owner) {}

    function bump() external onlyOwner {
        count += 1;
    }
}

/// OpenZeppelin's `TimelockController` as is: an operation runs only after its delay,
/// which the suite passes with `evm_increaseTime`.
contract DevTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
