// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPaLedger} from "../interfaces/IPaLedger.sol";

/// @notice What the ledger keeps of an entry, in one storage slot: the kind in the top byte (bit 255 set
/// once the entry is corrected) and the low 248 bits of the hash of the entry's logged data. Zero is an
/// unused entry reference (no kind is `None`).
type EntryRecord is uint256;

using EntryRecordLibrary for EntryRecord global;

/// @title EntryRecordLibrary
/// @notice Packs and reads {EntryRecord}s.
/// @dev Internal functions only: they are compiled into the ledger, nothing is deployed or linked.
library EntryRecordLibrary {
    uint256 private constant _KIND_SHIFT = 248;
    uint256 private constant _CORRECTED = 1 << 255;
    uint256 private constant _KIND_MASK = 0x7f;
    uint256 private constant _HASH_MASK = (1 << 248) - 1;

    /// @notice The record of a new (uncorrected) entry of `entryKind` whose logged data hash to `fullHash`.
    function pack(IPaLedger.EntryKind entryKind, bytes32 fullHash) internal pure returns (EntryRecord) {
        return EntryRecord.wrap((uint256(entryKind) << _KIND_SHIFT) | (uint256(fullHash) & _HASH_MASK));
    }

    /// @notice Whether no entry uses the reference.
    function isEmpty(EntryRecord record) internal pure returns (bool) {
        return EntryRecord.unwrap(record) == 0;
    }

    /// @notice The entry's kind (`None` for an unused reference).
    function kind(EntryRecord record) internal pure returns (IPaLedger.EntryKind) {
        return IPaLedger.EntryKind((EntryRecord.unwrap(record) >> _KIND_SHIFT) & _KIND_MASK);
    }

    /// @notice Whether the entry was corrected.
    function isCorrected(EntryRecord record) internal pure returns (bool) {
        return EntryRecord.unwrap(record) & _CORRECTED != 0;
    }

    /// @notice The low 248 bits of the hash of the entry's logged data.
    function dataHash(EntryRecord record) internal pure returns (uint256) {
        return EntryRecord.unwrap(record) & _HASH_MASK;
    }

    /// @notice Whether `fullHash` (a `keccak256`) is the hash the record keeps the low 248 bits of.
    function matches(EntryRecord record, bytes32 fullHash) internal pure returns (bool) {
        return uint256(fullHash) & _HASH_MASK == dataHash(record);
    }

    /// @notice The same record, marked corrected.
    function markCorrected(EntryRecord record) internal pure returns (EntryRecord) {
        return EntryRecord.wrap(EntryRecord.unwrap(record) | _CORRECTED);
    }
}
