// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAuthorisationRegistry} from "../interfaces/IAuthorisationRegistry.sol";
import {IPaLedger} from "../interfaces/IPaLedger.sol";
import {Fixture, LedgerHandler} from "./handlers/LedgerHandler.sol";
import {InvariantTest} from "./utils/InvariantTest.sol";
import {log, vm} from "./utils/Vm.sol";

/// @title PaLedgerInvariants
/// @notice The invariants of docs/ledger.md under random sequences of entries (`LedgerHandler`), on the
/// shipped bytecode (`pa_client/contract/artifacts/`, which tests/test_artifacts.py checks against a fresh
/// compile). Beside these, each handler call checks its own answer: roles (only the holder and an
/// appointed declarant record, only customs extend, only the holder appoints), a reference used once
/// refused the second time, the exact refusal of each impossible entry, and a correction of the latest
/// entry restoring every balance exactly.
contract PaLedgerInvariants is InvariantTest {
    IAuthorisationRegistry internal registry;
    IPaLedger internal ledger;
    LedgerHandler internal handler;

    function setUp() public {
        vm.warp(1_735_689_600); // 2025-01-01
        registry = IAuthorisationRegistry(
            _deploy("pa_client/contract/artifacts/AuthorisationRegistry.json", abi.encode(Fixture.CUSTOMS))
        );
        ledger = IPaLedger(_deploy("pa_client/contract/artifacts/PaLedger.json", abi.encode(address(registry))));
        // The registry has no immutables: what runs is the shipped runtime code, byte for byte.
        require(
            keccak256(address(registry).code)
                == keccak256(vm.getDeployedCode("pa_client/contract/artifacts/AuthorisationRegistry.json")),
            "the deployed registry is not the shipped one"
        );
        handler = new LedgerHandler(registry, ledger);
        vm.label(address(registry), "AuthorisationRegistry");
        vm.label(address(ledger), "PaLedger");
        vm.label(address(handler), "LedgerHandler");
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: handler.actions()}));
    }

    /// @notice Per import goods code, the discharged total never exceeds the placed total, and both are
    /// the model's to the last 10^-18.
    function invariant_dischargedNeverExceedsPlaced() public view {
        uint32[2] memory codes = [Fixture.CASING, Fixture.TREAD];
        for (uint256 i; i < 2; ++i) {
            (uint256 placed, uint256 discharged) = ledger.totalsOf(Fixture.AUTH_A, codes[i]);
            require(discharged <= placed, "discharged total above the placed total");
            require(placed == handler.placed(i), "placed total differs from the model");
            require(discharged == handler.discharged(i), "discharged total differs from the model");
        }
    }

    /// @notice A lot's stock at each site is the model's (so never negative: the model's arithmetic is
    /// checked), the sum over sites is the lot's stock, and the lot's state is the model's.
    function invariant_lotStockIsTheSumOfItsSites() public view {
        for (uint256 i; i < Fixture.LOTS; ++i) {
            bytes32 lotId = Fixture.lotId(i);
            (bool exists, uint8 origin, uint32 basis, uint32 dependents, uint128[3] memory stock) = handler.lot(i);
            uint256 sum;
            for (uint256 s; s < Fixture.SITES; ++s) {
                uint128 onChain = ledger.stockOf(lotId, Fixture.siteId(s));
                require(onChain == stock[s], "stock at a site differs from the model");
                sum += onChain;
            }
            IPaLedger.Lot memory lot = ledger.lotOf(lotId);
            require(lot.stock == sum, "a lot's stock is not the sum of its stock at each site");
            if (!exists) {
                require(lot.origin == IPaLedger.LotOrigin.None && sum == 0, "a removed lot is still there");
                continue;
            }
            require(uint8(lot.origin) == origin && lot.basisCode == basis, "lot origin or basis differs");
            require(lot.dependents == dependents && lot.version == 1, "lot dependents or version differ");
        }
    }

    /// @notice The sequence counts the entries recorded; the head is the rolling hash recomputed here from
    /// the handler's own record of each entry's logged data; each entry's record (kind, corrected, hash)
    /// is the model's. Authorisation B, where nobody may write through A's actors, stays empty.
    function invariant_chainIsTheRollingHashOfTheEntries() public view {
        uint256 count = handler.entryCount();
        bytes32 head;
        for (uint256 i; i < count; ++i) {
            (IPaLedger.EntryKind kind, bool corrected, address account, string memory ref, bytes memory data) =
                handler.entry(i);
            bytes32 entryId = keccak256(bytes(ref));
            head = keccak256(
                abi.encodePacked(
                    head,
                    keccak256(
                        abi.encodePacked(
                            Fixture.recordedEvent(kind),
                            Fixture.AUTH_A,
                            entryId,
                            bytes32(uint256(uint160(account))),
                            keccak256(data)
                        )
                    )
                )
            );
            (IPaLedger.EntryKind onChainKind, bool onChainCorrected, uint256 dataHash) =
                ledger.entryOf(Fixture.AUTH_A, entryId);
            require(onChainKind == kind && onChainCorrected == corrected, "entry kind or corrected flag differ");
            require(dataHash == uint256(keccak256(data)) & Fixture.HASH_MASK, "entry hash differs");
        }
        (uint64 sequence, bytes32 onChainHead) = ledger.chainOf(Fixture.AUTH_A);
        require(sequence == count, "the sequence does not count the entries recorded");
        require(onChainHead == head, "the head is not the rolling hash of the logged data");
        (uint64 otherSequence, bytes32 otherHead) = ledger.chainOf(Fixture.AUTH_B);
        require(otherSequence == 0 && otherHead == bytes32(0), "authorisation B has records");
    }

    /// @notice The registry's chain counts its events (declarant and status changes, encryption keys, key
    /// envelopes and epochs here) and its head is the handler's rolling hash of them; the key directory and
    /// A's epoch are the model's.
    function invariant_registryChainFollowsItsEvents() public view {
        (uint64 sequence, bytes32 head) = registry.registryChain();
        require(sequence == handler.registrySequence(), "registry sequence differs");
        require(head == handler.registryHead(), "registry head differs");
        require(registry.isDeclarant(Fixture.AUTH_A, Fixture.BROKER) == handler.brokerAppointed(), "declarant");
        require(registry.keyEpochOf(Fixture.AUTH_A) == handler.keyEpoch(), "key epoch differs");
        address[4] memory parties = [Fixture.CUSTOMS, Fixture.HOLDER, Fixture.BROKER, Fixture.STRANGER];
        for (uint256 i; i < parties.length; ++i) {
            (bytes32 key, uint32 version) = registry.encryptionKeyOf(parties[i]);
            require(key == handler.encryptionKey(parties[i]), "encryption key differs");
            require(version == handler.keyVersion(parties[i]), "encryption key version differs");
        }
    }

    /// @notice The campaign is not vacuous: one fixed sequence of 1 000 handler calls and 500 of the key
    /// directory (the invariants checked
    /// after each, the chain's every 50) records every kind of entry, corrects every correctable kind and meets every refusal
    /// the handler predicts. Deterministic, so it fails only when the contracts or the handler change (the
    /// label picks the sequence: a new action changes which calls it makes, and so may the label).
    function test_aFixedSequenceReachesEveryOutcome() public {
        bytes4[] memory actions = handler.actions();
        // The key directory's two actions (last) are called on the side, every other step: they change
        // nothing the ledger's actions read, so the sequence of those, and what it reaches, is theirs.
        uint256 keyActions = 2;
        for (uint256 step; step < 1000; ++step) {
            bytes32 seed = keccak256(abi.encode("pa-ledger handler 3", step));
            if (step % 2 == 1) {
                _call(actions[actions.length - keyActions + (step / 2) % keyActions], keccak256(abi.encode(seed, "keys")));
            }
            _call(actions[uint256(seed) % (actions.length - keyActions)], seed);
            invariant_dischargedNeverExceedsPlaced();
            invariant_lotStockIsTheSumOfItsSites();
            invariant_registryChainFollowsItsEvents();
            if (step % 50 == 49) invariant_chainIsTheRollingHashOfTheEntries(); // linear in the entries
        }
        afterInvariant();
        for (uint8 kind = 1; kind <= 8; ++kind) {
            uint256 count = handler.acceptedOfKind(IPaLedger.EntryKind(kind));
            log(string.concat("accepted of kind ", _digit(kind)), count);
            require(count > 0, "an entry kind was never recorded");
            if (kind <= 5) {
                count = handler.correctedOfKind(IPaLedger.EntryKind(kind));
                log(string.concat("corrected of kind ", _digit(kind)), count);
                require(count > 0, "an entry kind was never corrected");
            }
        }
        bytes4[22] memory refusals = [
            IAuthorisationRegistry.RegistryNotRecorder.selector,
            IAuthorisationRegistry.RegistryAuthorisationNotActive.selector,
            IAccessControl.AccessControlUnauthorizedAccount.selector,
            IPaLedger.LedgerEntryExists.selector,
            IPaLedger.LedgerGoodsCodeNotAllowed.selector,
            IPaLedger.LedgerLotExists.selector,
            IPaLedger.LedgerUnknownLot.selector,
            IPaLedger.LedgerInsufficientStock.selector,
            IPaLedger.LedgerDischargeExceedsPlaced.selector,
            IPaLedger.LedgerUnknownEntry.selector,
            IPaLedger.LedgerAlreadyCorrected.selector,
            IPaLedger.LedgerCorrectionMismatch.selector,
            IPaLedger.LedgerNotCorrectable.selector,
            IPaLedger.LedgerLotInUse.selector,
            IPaLedger.LedgerNotAPlacement.selector,
            IPaLedger.LedgerInvalidBillPeriod.selector,
            IAuthorisationRegistry.RegistryZeroEncryptionKey.selector,
            IAuthorisationRegistry.RegistryEncryptionKeyUnchanged.selector,
            IAuthorisationRegistry.RegistryNotKeyPublisher.selector,
            IAuthorisationRegistry.RegistryKeyRecipientNotAllowed.selector,
            IAuthorisationRegistry.RegistryNoEncryptionKey.selector,
            IAuthorisationRegistry.RegistryInvalidKeyEpoch.selector
        ];
        for (uint256 i; i < refusals.length; ++i) {
            uint256 count = handler.refusedWith(refusals[i]);
            log(string.concat("refused with error ", _digit(i)), count);
            require(count > 0, "a refusal was never met");
        }
    }

    function _call(bytes4 action, bytes32 seed) internal {
        (bool ok, bytes memory reason) = address(handler).call(
            abi.encodePacked(
                action,
                abi.encode(
                    keccak256(abi.encode(seed, 1)),
                    keccak256(abi.encode(seed, 2)),
                    keccak256(abi.encode(seed, 3)),
                    keccak256(abi.encode(seed, 4)),
                    keccak256(abi.encode(seed, 5))
                )
            )
        );
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }

    /// @notice After each run (Forge's hook): what the run did, printed with `-vv`.
    function afterInvariant() public view {
        log("entries recorded", handler.entryCount());
        log("calls accepted", handler.accepted());
        log("calls refused as predicted", handler.refused());
        log("entries corrected and balances restored", handler.restoredByCorrection());
    }

    function _digit(uint256 n) internal pure returns (string memory) {
        return n < 10 ? string(abi.encodePacked(bytes1(uint8(48 + n)))) : string.concat(_digit(n / 10), _digit(n % 10));
    }

    function _deploy(string memory artifact, bytes memory arguments) internal returns (address deployed) {
        bytes memory code = abi.encodePacked(vm.getCode(artifact), arguments);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), "deployment failed");
    }
}
