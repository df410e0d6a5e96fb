// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Ids
/// @notice The identifiers of the registry and the ledger, from the readable references in the event
/// data (`pa_client/ids.py` computes the same):
/// - authorisation id `keccak256(bytes(reference))`;
/// - entry id `keccak256(bytes(entryRef))`, unique within its authorisation;
/// - site id `keccak256(bytes(siteCode))`;
/// - lot id `keccak256(abi.encode(authorisationId, lotRef))`: lots belong to one authorisation.
/// @dev Internal functions only: they are compiled into each contract, nothing is deployed or linked.
/// Entries arrive in calldata; the `...Memory` variants serve references decoded into memory (the
/// original entry of a correction). Solidity cannot overload on the data location alone.
library Ids {
    /// @notice The id of an authorisation reference.
    function authorisationId(string calldata ref) internal pure returns (bytes32) {
        return keccak256(bytes(ref));
    }

    /// @notice The id of an entry reference.
    function entryId(string calldata entryRef) internal pure returns (bytes32) {
        return keccak256(bytes(entryRef));
    }

    /// @notice The id of a site code.
    function siteId(string calldata site) internal pure returns (bytes32) {
        return keccak256(bytes(site));
    }

    /// @notice {siteId} of a site code in memory.
    function siteIdMemory(string memory site) internal pure returns (bytes32) {
        return keccak256(bytes(site));
    }

    /// @notice The id of a lot reference within an authorisation.
    function lotId(bytes32 authorisationId_, string calldata lotRef) internal pure returns (bytes32) {
        return keccak256(abi.encode(authorisationId_, lotRef));
    }

    /// @notice {lotId} of a lot reference in memory.
    function lotIdMemory(bytes32 authorisationId_, string memory lotRef) internal pure returns (bytes32) {
        return keccak256(abi.encode(authorisationId_, lotRef));
    }
}
