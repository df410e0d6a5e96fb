// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/// @title RollingHash
/// @notice The completeness proof shared by the registry and the ledger: a count of the events logged
/// and a rolling hash over them, `head = keccak256(head ‖ keccak256(topic0 ‖ … ‖ topicN ‖ keccak256(data)))`
/// from 32 zero bytes (`pa_client/integrity.py` recomputes it from the logs).
/// @dev Internal functions only: they are compiled into each contract, nothing is deployed or linked.
library RollingHash {
    /// @notice A chain of events: how many it holds and the hash of all of them, in order.
    /// @dev One slot for the sequence and one for the head, the layout both contracts always had.
    struct Chain {
        uint64 sequence;
        bytes32 head;
    }

    /// @notice The digest of one event: its topics packed, then the hash of its data.
    /// @param topics the event's topics, `abi.encodePacked` (topic0 first)
    /// @param dataHash `keccak256` of the event's data as logged
    function eventDigest(bytes memory topics, bytes32 dataHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(topics, dataHash));
    }

    /// @notice {eventDigest} of an event with four topics, without building the packed topics first.
    function eventDigest(bytes32 topic0, bytes32 topic1, bytes32 topic2, bytes32 topic3, bytes32 dataHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(topic0, topic1, topic2, topic3, dataHash));
    }

    /// @notice One step of the rolling hash: `keccak256(head ‖ digest)`.
    /// @dev OpenZeppelin's `efficientKeccak256` hashes the two words in scratch space, allocating no memory.
    function step(bytes32 head, bytes32 digest) internal pure returns (bytes32) {
        return Hashes.efficientKeccak256(head, digest);
    }

    /// @notice The sequence number the next event of the chain gets.
    function next(Chain storage chain) internal view returns (uint64) {
        return chain.sequence + 1;
    }

    /// @notice Appends an event to the chain: it gets the sequence number {next} gave before the call, and
    /// the head takes one {step}.
    /// @param digest the event's {eventDigest}
    function extend(Chain storage chain, bytes32 digest) internal {
        chain.sequence += 1;
        chain.head = step(chain.head, digest);
    }
}
