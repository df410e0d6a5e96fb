// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPaLedger} from "../interfaces/IPaLedger.sol";
import {EntryRecord, EntryRecordLibrary} from "../libraries/EntryRecord.sol";
import {Ids} from "../libraries/Ids.sol";
import {RollingHash} from "../libraries/RollingHash.sol";
import {bound} from "./utils/InvariantTest.sol";

/// @notice Calls the calldata variants of {Ids} (internal functions see calldata only through an external
/// call).
contract IdsCaller {
    function ids(bytes32 authorisationId, string calldata ref)
        external
        pure
        returns (bytes32 authorisation, bytes32 entry, bytes32 site, bytes32 lot)
    {
        return (Ids.authorisationId(ref), Ids.entryId(ref), Ids.siteId(ref), Ids.lotId(authorisationId, ref));
    }
}

/// @title LibrariesTest
/// @notice contracts/libraries/ compute exactly what the contracts computed inline before them (the
/// formulas below are the pre-library code, and pa_client recomputes the same): same hashes, same ids,
/// same record bits.
contract LibrariesTest {
    using RollingHash for RollingHash.Chain;

    uint256 private constant _HASH_MASK = (1 << 248) - 1;

    RollingHash.Chain private _chain;
    IdsCaller private immutable _caller = new IdsCaller();

    function testFuzz_stepIsKeccakOfHeadAndDigest(bytes32 head, bytes32 digest) public pure {
        require(RollingHash.step(head, digest) == keccak256(abi.encodePacked(head, digest)), "step");
    }

    function testFuzz_eventDigestsAreTheInlineFormulas(bytes32 t0, bytes32 t1, bytes32 t2, bytes32 t3, bytes memory data)
        public
        pure
    {
        bytes32 dataHash = keccak256(data);
        bytes32 ledger = keccak256(abi.encodePacked(t0, t1, t2, t3, dataHash)); // PaLedger._commit
        require(RollingHash.eventDigest(t0, t1, t2, t3, dataHash) == ledger, "four topics");
        bytes memory topics = abi.encodePacked(t0, t1, t2, t3);
        require(RollingHash.eventDigest(topics, dataHash) == ledger, "packed topics"); // the registry's _extend
        bytes memory three = abi.encodePacked(t0, t1, t2);
        require(
            RollingHash.eventDigest(three, dataHash) == keccak256(abi.encodePacked(three, keccak256(data))), "three"
        );
    }

    function testFuzz_extendCountsAndChains(bytes32[] memory digests) public {
        bytes32 head;
        for (uint256 i; i < digests.length; ++i) {
            require(_chain.next() == i + 1, "next");
            _chain.extend(digests[i]);
            head = keccak256(abi.encodePacked(head, digests[i]));
            require(_chain.sequence == i + 1 && _chain.head == head, "chain");
        }
    }

    function testFuzz_entryRecordHasTheBitsOfThePackedRecord(uint8 kindSeed, bytes32 dataHash) public pure {
        IPaLedger.EntryKind kind = IPaLedger.EntryKind(bound(kindSeed, 1, 7));
        EntryRecord record = EntryRecordLibrary.pack(kind, dataHash);
        uint256 packed = (uint256(kind) << 248) | (uint256(dataHash) & _HASH_MASK); // PaLedger before
        require(EntryRecord.unwrap(record) == packed, "pack");
        require(!record.isEmpty() && record.kind() == kind && !record.isCorrected(), "fields");
        require(record.dataHash() == packed & _HASH_MASK, "data hash");
        require(record.matches(dataHash) && !record.matches(dataHash ^ bytes32(uint256(1))), "matches");
        // The top 8 bits of the hash are dropped (the kind and the corrected flag take them).
        require(record.matches(dataHash ^ bytes32(uint256(1) << 255)), "the dropped bit");
        EntryRecord corrected = record.markCorrected();
        require(EntryRecord.unwrap(corrected) == packed | (1 << 255), "corrected bit");
        require(corrected.isCorrected() && corrected.kind() == kind && corrected.dataHash() == record.dataHash(), "");
        require(EntryRecordLibrary.pack(IPaLedger.EntryKind.None, 0).isEmpty(), "empty");
    }

    function testFuzz_idsAreTheDocumentedFormulas(bytes32 authorisationId, string memory ref) public view {
        bytes32 refHash = keccak256(bytes(ref));
        bytes32 lotId = keccak256(abi.encode(authorisationId, ref));
        (bytes32 authorisation, bytes32 entry, bytes32 site, bytes32 lot) = _caller.ids(authorisationId, ref);
        require(authorisation == refHash && entry == refHash && site == refHash, "reference ids");
        require(lot == lotId, "lot id");
        require(Ids.siteIdMemory(ref) == refHash && Ids.lotIdMemory(authorisationId, ref) == lotId, "memory");
    }
}
