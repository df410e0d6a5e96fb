// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAuthorisationRegistry} from "../../interfaces/IAuthorisationRegistry.sol";
import {IPaLedger} from "../../interfaces/IPaLedger.sol";
import {vm} from "../utils/Vm.sol";

/// @notice The actors, authorisations and goods of the invariant tests.
library Fixture {
    address internal constant CUSTOMS = address(uint160(uint256(keccak256("pa-ledger test: customs"))));
    address internal constant HOLDER = address(uint160(uint256(keccak256("pa-ledger test: holder"))));
    address internal constant BROKER = address(uint160(uint256(keccak256("pa-ledger test: broker"))));
    address internal constant STRANGER = address(uint160(uint256(keccak256("pa-ledger test: stranger"))));
    address internal constant HOLDER2 = address(uint160(uint256(keccak256("pa-ledger test: holder 2"))));

    string internal constant REF_A = "FRIPO000000000001";
    string internal constant REF_B = "FRIPO000000000002";
    bytes32 internal constant AUTH_A = keccak256(bytes(REF_A));
    bytes32 internal constant AUTH_B = keccak256(bytes(REF_B));

    uint32 internal constant CASING = 40121300; // import goods
    uint32 internal constant TREAD = 40061000; // import goods
    uint32 internal constant SEALS = 40169300; // product: 1000/950 casing + 1/3 tread per unit
    uint32 internal constant SCRAP = 40040000; // product: 1 tread per unit

    uint256 internal constant LOTS = 20; // lot references L00..L19, reused once their lot is removed
    uint256 internal constant SITES = 3;
    uint256 internal constant SCALE = 1e12; // PaLedger.EQUIVALENT_SCALE
    uint256 internal constant HASH_MASK = (1 << 248) - 1;

    uint8 internal constant PLACED = 1; // IPaLedger.LotOrigin.Placement
    uint8 internal constant PROCESSED = 2; // IPaLedger.LotOrigin.Processing

    function lotRef(uint256 index) internal pure returns (string memory) {
        return string(abi.encodePacked("L", bytes1(uint8(48 + index / 10)), bytes1(uint8(48 + index % 10))));
    }

    function site(uint256 index) internal pure returns (string memory) {
        return ["BOURGES", "LYON", "TOULOUSE"][index];
    }

    /// @dev The formulas of docs/ledger.md written out, independent of contracts/libraries/.
    function lotId(uint256 index) internal pure returns (bytes32) {
        return keccak256(abi.encode(AUTH_A, lotRef(index)));
    }

    function siteId(uint256 index) internal pure returns (bytes32) {
        return keccak256(bytes(site(index)));
    }

    function recordedEvent(IPaLedger.EntryKind kind) internal pure returns (bytes32) {
        if (kind == IPaLedger.EntryKind.Placement) return IPaLedger.PlacementRecorded.selector;
        if (kind == IPaLedger.EntryKind.Movement) return IPaLedger.MovementRecorded.selector;
        if (kind == IPaLedger.EntryKind.Processing) return IPaLedger.ProcessingRecorded.selector;
        if (kind == IPaLedger.EntryKind.Handling) return IPaLedger.HandlingRecorded.selector;
        if (kind == IPaLedger.EntryKind.Discharge) return IPaLedger.DischargeRecorded.selector;
        if (kind == IPaLedger.EntryKind.Correction) return IPaLedger.CorrectionRecorded.selector;
        if (kind == IPaLedger.EntryKind.BillLodging) return IPaLedger.BillLodged.selector;
        return IPaLedger.DeadlineExtended.selector;
    }
}

/// @title LedgerHandler
/// @notice What the invariant campaign calls: entries of authorisation A with bounded random inputs, from
/// random actors, checked against an exact model kept here. Each call predicts the ledger's answer: either
/// the custom error it must refuse with (the first check that fails, in the contract's order) or
/// acceptance, and then applies the entry to the model. A wrong prediction reverts, which fails the
/// campaign (`fail_on_revert`). The invariants (`PaLedgerInvariants`) compare the chain with the model.
contract LedgerHandler {
    struct LotModel {
        bool exists;
        uint8 origin;
        uint32 basis;
        uint32 dependents;
        uint128[3] stock;
    }

    /// @notice An entry the ledger accepted, with what reversing it needs.
    struct EntryModel {
        IPaLedger.EntryKind kind;
        bool corrected;
        address account;
        uint8 lot; // placement, movement, handling, discharge: the lot; processing: the input
        uint8 outLot; // processing: the output lot
        uint8 siteA; // placement, processing, discharge: the site; movement: from
        uint8 siteB; // movement: to
        uint128 quantity; // processing: of the input
        uint128 outQuantity; // processing: of the output
        string ref;
        bytes data; // the logged data: abi.encode(sequence, entry)
        bytes callData; // the call that recorded it, to send again
    }

    error UnexpectedAcceptance(bytes expected);
    error WrongRefusal(bytes expected, bytes actual);
    error CorrectionDidNotRestore(bytes32 before, bytes32 afterwards);

    IAuthorisationRegistry public immutable registry;
    IPaLedger public immutable ledger;

    LotModel[20] internal _lots;
    EntryModel[] internal _entries;
    uint256[2] public placed; // CASING, TREAD; 10^-18
    uint256[2] public discharged;

    bool public active = true;
    bool public brokerAppointed;
    uint32 public keyEpoch; // authorisation A's data-key epoch
    mapping(address account => bytes32 publicKey) public encryptionKey;
    mapping(address account => uint32 version) public keyVersion;
    uint64 public registrySequence;
    bytes32 public registryHead;

    uint256 public accepted;
    uint256 public refused;
    mapping(IPaLedger.EntryKind kind => uint256 count) public acceptedOfKind;
    mapping(IPaLedger.EntryKind kind => uint256 count) public correctedOfKind;
    mapping(bytes4 error => uint256 count) public refusedWith;
    uint256 public restoredByCorrection;
    uint256 private _nextRef;

    constructor(IAuthorisationRegistry registry_, IPaLedger ledger_) {
        registry = registry_;
        ledger = ledger_;
        vm.startPrank(Fixture.CUSTOMS);
        registry_.register(_terms(Fixture.REF_A, Fixture.HOLDER));
        registry_.register(_terms(Fixture.REF_B, Fixture.HOLDER2));
        vm.stopPrank();
        vm.prank(Fixture.HOLDER);
        registry_.appointDeclarant(Fixture.AUTH_A, Fixture.BROKER);
        brokerAppointed = true;
        // Customs, the holder and the broker have encryption keys; the stranger publishes one later, maybe.
        address[3] memory withKeys = [Fixture.CUSTOMS, Fixture.HOLDER, Fixture.BROKER];
        for (uint256 i; i < withKeys.length; ++i) {
            bytes32 key = keccak256(abi.encode("pa-ledger test: encryption key", withKeys[i]));
            vm.prank(withKeys[i]);
            registry_.publishEncryptionKey(key);
            (encryptionKey[withKeys[i]], keyVersion[withKeys[i]]) = (key, 1);
        }
        (registrySequence, registryHead) = registry_.registryChain();
    }

    // ------------------------------------------------------------ the actions Forge calls

    function place(uint256 actorSeed, uint256 lotSeed, uint256 codeSeed, uint256 quantitySeed, uint256 siteSeed)
        external
    {
        _place(_actor(actorSeed), lotSeed, codeSeed, quantitySeed, siteSeed, false);
    }

    function move(uint256 actorSeed, uint256 lotSeed, uint256 siteSeed, uint256 toSeed, uint256 quantitySeed)
        external
    {
        _move(_actor(actorSeed), lotSeed, siteSeed, toSeed, quantitySeed, false);
    }

    function process(uint256 actorSeed, uint256 lotSeed, uint256 siteSeed, uint256 quantitySeed, uint256 outSeed)
        external
    {
        _process(_actor(actorSeed), lotSeed, siteSeed, quantitySeed, outSeed, false);
    }

    function discharge(uint256 actorSeed, uint256 lotSeed, uint256 siteSeed, uint256 quantitySeed) external {
        _discharge(_actor(actorSeed), lotSeed, siteSeed, quantitySeed, false);
    }

    function handle(uint256 actorSeed, uint256 lotSeed) external {
        _handle(_actor(actorSeed), lotSeed, false);
    }

    /// @notice Corrects a recorded entry (any: the model says whether the ledger may), sometimes with an
    /// altered original or an unknown reference.
    function correct(uint256 actorSeed, uint256 entrySeed, uint256 tamperSeed) external {
        if (_entries.length == 0) return _placeInstead(actorSeed, entrySeed);
        _correct(_actor(actorSeed), entrySeed % _entries.length, tamperSeed);
    }

    /// @notice Records a valid entry and corrects it at once: every lot, stock and total must then be
    /// exactly as before the entry (read from the chain, not the model).
    function recordAndCorrect(uint256 kindSeed, uint256 seedA, uint256 seedB, uint256 seedC) external {
        if (!active) return;
        bytes32 before = _chainState();
        uint256 count = _entries.length;
        uint256 kind = kindSeed % 5;
        if (kind == 0) _place(Fixture.HOLDER, seedA, seedB, seedC, seedA >> 8, true);
        else if (kind == 1) _move(Fixture.HOLDER, seedA, seedB, seedB >> 8, seedC, true);
        else if (kind == 2) _process(Fixture.HOLDER, seedA, seedB, seedC, seedA >> 8, true);
        else if (kind == 3) _discharge(Fixture.HOLDER, seedA, seedB, seedC, true);
        else _handle(Fixture.HOLDER, seedA, true);
        if (_entries.length == count) return; // nothing of that kind could be recorded now
        _correct(Fixture.HOLDER, count, 1);
        require(_entries[count].corrected, "the correction of the latest entry was refused");
        bytes32 afterwards = _chainState();
        if (afterwards != before) revert CorrectionDidNotRestore(before, afterwards);
        restoredByCorrection += 1;
    }

    /// @notice Customs (or someone else, refused) extend a placement's deadline.
    function extend(uint256 actorSeed, uint256 entrySeed) external {
        if (_entries.length == 0) return _placeInstead(actorSeed, entrySeed);
        address actor = actorSeed % 4 == 0 ? _actor(actorSeed >> 2) : Fixture.CUSTOMS;
        // Mostly a placement (the first from a random entry on), else any entry.
        uint256 n = _entries.length;
        uint256 index = entrySeed % n;
        for (uint256 k; k < n && (entrySeed >> 8) % 4 != 0; ++k) {
            if (_entries[(index + k) % n].kind == IPaLedger.EntryKind.Placement) {
                index = (index + k) % n;
                break;
            }
        }
        EntryModel storage target = _entries[index];
        IPaLedger.DeadlineExtension memory extension;
        extension.header = _header(_newRef());
        extension.placement = target.ref;
        extension.newDeadline = uint64(block.timestamp + 400 days);
        extension.reason = "customs extended the period";
        bytes memory expected;
        if (actor != Fixture.CUSTOMS) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, actor, keccak256("CUSTOMS_ROLE")
            );
        } else if (target.kind != IPaLedger.EntryKind.Placement || target.corrected) {
            expected = abi.encodeWithSelector(IPaLedger.LedgerNotAPlacement.selector, Fixture.AUTH_A, target.ref);
        }
        bytes memory callData = abi.encodeCall(IPaLedger.extendDeadline, (extension));
        bytes memory data = abi.encode(_nextSequence(), extension);
        if (_send(actor, callData, expected)) {
            _recorded(IPaLedger.EntryKind.DeadlineExtension, actor, extension.header.entryRef, data, callData);
        }
    }

    /// @notice The holder or a declarant (or someone else, refused) lodges a bill of discharge; a suspended
    /// authorisation's bills are lodged too. One call in 8 sends a reversed period, one in 8 no digest.
    function lodge(uint256 actorSeed, uint256 seed) external {
        address actor = _actor(actorSeed);
        IPaLedger.BillLodging memory lodging;
        lodging.header = _header(_newRef());
        lodging.periodStart = uint64(block.timestamp - 60 days);
        lodging.periodEnd = uint64(block.timestamp - 30 days);
        lodging.dueDate = uint64(block.timestamp);
        lodging.billSha256 = keccak256(abi.encode(seed));
        if (seed % 8 == 1) (lodging.periodStart, lodging.periodEnd) = (lodging.periodEnd, lodging.periodStart);
        if (seed % 8 == 2) lodging.billSha256 = bytes32(0);
        bytes memory expected = _lodgerRefusal(actor);
        if (expected.length == 0 && seed % 8 == 1) {
            expected = abi.encodeWithSelector(
                IPaLedger.LedgerInvalidBillPeriod.selector, lodging.header.entryRef, lodging.periodStart, lodging.periodEnd
            );
        } else if (expected.length == 0 && seed % 8 == 2) {
            expected = abi.encodeWithSelector(IPaLedger.LedgerMissingField.selector, lodging.header.entryRef, "billSha256");
        }
        bytes memory callData = abi.encodeCall(IPaLedger.lodgeBill, (lodging));
        bytes memory data = abi.encode(_nextSequence(), lodging);
        if (_send(actor, callData, expected)) {
            _recorded(IPaLedger.EntryKind.BillLodging, actor, lodging.header.entryRef, data, callData);
        }
    }

    /// @notice Sends a recorded entry's call again, as it was: the reference is used, so it is refused.
    function resend(uint256 actorSeed, uint256 entrySeed) external {
        if (_entries.length == 0) return _placeInstead(actorSeed, entrySeed);
        EntryModel storage sent = _entries[entrySeed % _entries.length];
        address actor = sent.kind == IPaLedger.EntryKind.DeadlineExtension ? Fixture.CUSTOMS : _actor(actorSeed);
        bytes memory expected = sent.kind == IPaLedger.EntryKind.DeadlineExtension
            ? bytes("")
            : sent.kind == IPaLedger.EntryKind.BillLodging ? _lodgerRefusal(actor) : _recorderRefusal(actor);
        if (expected.length == 0) {
            expected = abi.encodeWithSelector(IPaLedger.LedgerEntryExists.selector, Fixture.AUTH_A, sent.ref);
        }
        _send(actor, sent.callData, expected);
    }

    /// @notice The holder removes the broker (1 call in 3) or appoints it again; anyone else is refused.
    function toggleDeclarant(uint256 actorSeed) external {
        address actor = actorSeed % 4 == 0 ? Fixture.STRANGER : Fixture.HOLDER;
        bool appoint = !brokerAppointed;
        if (actor == Fixture.HOLDER && !appoint && (actorSeed >> 2) % 3 != 0) return;
        vm.prank(actor);
        (bool ok, bytes memory reason) = address(registry).call(
            appoint
                ? abi.encodeCall(IAuthorisationRegistry.appointDeclarant, (Fixture.AUTH_A, Fixture.BROKER))
                : abi.encodeCall(IAuthorisationRegistry.removeDeclarant, (Fixture.AUTH_A, Fixture.BROKER))
        );
        if (actor != Fixture.HOLDER) {
            _expectRefusal(
                ok,
                reason,
                abi.encodeWithSelector(IAuthorisationRegistry.RegistryNotHolder.selector, actor, Fixture.AUTH_A)
            );
            return;
        }
        _expectAcceptance(ok, reason);
        brokerAppointed = appoint;
        bytes32 selector = appoint
            ? IAuthorisationRegistry.DeclarantAppointed.selector
            : IAuthorisationRegistry.DeclarantRemoved.selector;
        _registryEvent(abi.encodePacked(selector, Fixture.AUTH_A, _topic(Fixture.BROKER), _topic(actor)), "");
        if (!appoint) {
            keyEpoch += 1; // a removal starts the next data-key epoch
            _registryEvent(
                abi.encodePacked(IAuthorisationRegistry.KeyEpochStarted.selector, Fixture.AUTH_A), abi.encode(keyEpoch)
            );
        }
    }

    /// @notice An actor publishes an encryption key: a new one, its current one again (refused) or zero
    /// (refused). The stranger's first key makes it a possible recipient of envelopes.
    function publishEncryptionKey(uint256 actorSeed, uint256 keySeed) external {
        address actor = [Fixture.CUSTOMS, Fixture.HOLDER, Fixture.BROKER, Fixture.STRANGER][actorSeed % 4];
        uint256 choice = keySeed % 4;
        bytes32 key = choice == 0 ? bytes32(0) : choice == 1 ? encryptionKey[actor] : keccak256(abi.encode(keySeed));
        vm.prank(actor);
        (bool ok, bytes memory reason) =
            address(registry).call(abi.encodeCall(IAuthorisationRegistry.publishEncryptionKey, (key)));
        bytes memory expected;
        if (key == bytes32(0)) {
            expected = abi.encodeWithSelector(IAuthorisationRegistry.RegistryZeroEncryptionKey.selector, actor);
        } else if (key == encryptionKey[actor]) {
            expected =
                abi.encodeWithSelector(IAuthorisationRegistry.RegistryEncryptionKeyUnchanged.selector, actor, key);
        }
        if (!_registryAnswer(ok, reason, expected)) return;
        (encryptionKey[actor], keyVersion[actor]) = (key, keyVersion[actor] + 1);
        _registryEvent(
            abi.encodePacked(IAuthorisationRegistry.EncryptionKeyPublished.selector, _topic(actor)),
            abi.encode(key, keyVersion[actor])
        );
    }

    /// @notice Someone publishes a key envelope of A for someone at an epoch up to one past the current:
    /// customs for anyone, the holder for itself, its declarant and customs, no one else; only for a
    /// recipient with a key (holder 2 never publishes one), and an epoch that has started.
    function publishKeyEnvelope(uint256 actorSeed, uint256 recipientSeed, uint256 epochSeed) external {
        address[5] memory parties =
            [Fixture.CUSTOMS, Fixture.HOLDER, Fixture.BROKER, Fixture.STRANGER, Fixture.HOLDER2];
        address actor = parties[actorSeed % 4];
        address recipient = parties[recipientSeed % 5];
        uint32 epoch = uint32(epochSeed % (uint256(keyEpoch) + 2));
        bytes memory envelope = abi.encodePacked(keccak256(abi.encode(epochSeed)), uint8(epoch));
        vm.prank(actor);
        (bool ok, bytes memory reason) = address(registry).call(
            abi.encodeCall(IAuthorisationRegistry.publishKeyEnvelope, (Fixture.AUTH_A, epoch, recipient, envelope))
        );
        bytes memory expected;
        if (actor != Fixture.CUSTOMS && actor != Fixture.HOLDER) {
            expected =
                abi.encodeWithSelector(IAuthorisationRegistry.RegistryNotKeyPublisher.selector, actor, Fixture.AUTH_A);
        } else if (
            actor == Fixture.HOLDER && recipient != Fixture.HOLDER && recipient != Fixture.CUSTOMS
                && !(recipient == Fixture.BROKER && brokerAppointed)
        ) {
            expected = abi.encodeWithSelector(
                IAuthorisationRegistry.RegistryKeyRecipientNotAllowed.selector, Fixture.AUTH_A, recipient
            );
        } else if (keyVersion[recipient] == 0) {
            expected = abi.encodeWithSelector(IAuthorisationRegistry.RegistryNoEncryptionKey.selector, recipient);
        } else if (epoch > keyEpoch) {
            expected = abi.encodeWithSelector(
                IAuthorisationRegistry.RegistryInvalidKeyEpoch.selector, Fixture.AUTH_A, epoch, keyEpoch
            );
        }
        if (!_registryAnswer(ok, reason, expected)) return;
        _registryEvent(
            abi.encodePacked(
                IAuthorisationRegistry.KeyEnvelopePublished.selector, Fixture.AUTH_A, _topic(recipient), uint256(epoch)
            ),
            abi.encode(actor, envelope)
        );
    }

    /// @notice Customs suspend authorisation A (1 call in 8) or reinstate it: while suspended, every entry
    /// is refused. Suspensions stay short, so that most of the campaign records.
    function toggleSuspension(uint256 seed) external {
        if (active && seed % 8 != 0) return;
        IAuthorisationRegistry.Status from =
            active ? IAuthorisationRegistry.Status.Active : IAuthorisationRegistry.Status.Suspended;
        IAuthorisationRegistry.Status to =
            active ? IAuthorisationRegistry.Status.Suspended : IAuthorisationRegistry.Status.Active;
        string memory reason = active ? "audit" : "audit closed";
        vm.prank(Fixture.CUSTOMS);
        if (active) registry.suspend(Fixture.AUTH_A, reason);
        else registry.reinstate(Fixture.AUTH_A, reason);
        active = !active;
        _registryEvent(
            abi.encodePacked(IAuthorisationRegistry.AuthorisationStatusChanged.selector, Fixture.AUTH_A, _topic(Fixture.CUSTOMS)),
            abi.encode(from, to, reason)
        );
    }

    // ------------------------------------------------------------ reads for the invariants

    function entryCount() external view returns (uint256) {
        return _entries.length;
    }

    function entry(uint256 index)
        external
        view
        returns (IPaLedger.EntryKind kind, bool corrected, address account, string memory ref, bytes memory data)
    {
        EntryModel storage e = _entries[index];
        return (e.kind, e.corrected, e.account, e.ref, e.data);
    }

    function lot(uint256 index)
        external
        view
        returns (bool exists, uint8 origin, uint32 basis, uint32 dependents, uint128[3] memory stock)
    {
        LotModel storage l = _lots[index];
        return (l.exists, l.origin, l.basis, l.dependents, l.stock);
    }

    /// @notice The selectors of the actions above, for `targetSelector`.
    function actions() external pure returns (bytes4[] memory selectors) {
        selectors = new bytes4[](14);
        selectors[0] = this.place.selector;
        selectors[1] = this.move.selector;
        selectors[2] = this.process.selector;
        selectors[3] = this.discharge.selector;
        selectors[4] = this.handle.selector;
        selectors[5] = this.correct.selector;
        selectors[6] = this.recordAndCorrect.selector;
        selectors[7] = this.extend.selector;
        selectors[8] = this.resend.selector;
        selectors[9] = this.toggleDeclarant.selector;
        selectors[10] = this.toggleSuspension.selector;
        selectors[11] = this.lodge.selector;
        selectors[12] = this.publishEncryptionKey.selector; // the key directory's two actions come last
        selectors[13] = this.publishKeyEnvelope.selector;
    }

    // ------------------------------------------------------------ entries

    /// @dev `valid`: only an entry the ledger must accept, from `actor` (a recorder); none if impossible.
    function _place(
        address actor,
        uint256 lotSeed,
        uint256 codeSeed,
        uint256 quantitySeed,
        uint256 siteSeed,
        bool valid
    ) internal {
        (bool free, uint8 index) = _findLot(lotSeed, false);
        if (valid && !free) return;
        if (!valid && (!free || codeSeed % 8 == 1)) index = uint8(lotSeed % Fixture.LOTS); // maybe in use
        // A product code is not among the import goods: refused.
        uint32 code = !valid && codeSeed % 10 == 0 ? Fixture.SEALS : (codeSeed % 2 == 0 ? Fixture.CASING : Fixture.TREAD);
        uint128 quantity = uint128(1 + quantitySeed % 1e9);
        uint8 siteIndex = uint8(siteSeed % Fixture.SITES);

        IPaLedger.Placement memory placement;
        placement.header = _header(_newRef());
        placement.lot = Fixture.lotRef(index);
        placement.goodsCode = code;
        placement.description = "Aircraft tyre casings";
        placement.quantity = quantity;
        placement.unit = "KGM";
        placement.site = Fixture.site(siteIndex);
        placement.declaration = "24FR0000000000001A";
        placement.procedure = 5100;
        placement.customsValueCents = 130_000;
        placement.dutyRatePpm = 30_000;
        placement.origin = "MY";

        bytes memory expected = _recorderRefusal(actor);
        if (expected.length == 0 && code == Fixture.SEALS) {
            expected = abi.encodeWithSelector(IPaLedger.LedgerGoodsCodeNotAllowed.selector, Fixture.AUTH_A, code);
        } else if (expected.length == 0 && _lots[index].exists) {
            expected = abi.encodeWithSelector(IPaLedger.LedgerLotExists.selector, Fixture.AUTH_A, placement.lot);
        }
        bytes memory callData = abi.encodeCall(IPaLedger.recordPlacement, (placement));
        bytes memory data = abi.encode(_nextSequence(), placement);
        if (!_send(actor, callData, expected)) return;

        LotModel storage l = _lots[index];
        l.exists = true;
        l.origin = Fixture.PLACED;
        l.basis = code;
        l.dependents = 0;
        l.stock[siteIndex] = quantity;
        placed[_codeIndex(code)] += uint256(quantity) * Fixture.SCALE;
        EntryModel storage e =
            _recorded(IPaLedger.EntryKind.Placement, actor, placement.header.entryRef, data, callData);
        e.lot = index;
        e.siteA = siteIndex;
        e.quantity = quantity;
    }

    function _move(
        address actor,
        uint256 lotSeed,
        uint256 siteSeed,
        uint256 toSeed,
        uint256 quantitySeed,
        bool valid
    ) internal {
        (bool found, uint8 index) = _findLot(lotSeed, true);
        if (!found) {
            if (!valid) _place(actor, lotSeed, toSeed, quantitySeed, siteSeed, false); // no lot yet: place
            return;
        }
        uint8 from = _siteWithStock(index, siteSeed);
        uint8 to = uint8((from + 1 + toSeed % 2) % Fixture.SITES);
        uint128 available = _lots[index].stock[from];
        if (valid && available == 0) return;
        uint128 quantity = _quantity(available, quantitySeed, valid);

        IPaLedger.Movement memory movement;
        movement.header = _header(_newRef());
        movement.lot = Fixture.lotRef(index);
        movement.quantity = quantity;
        movement.fromSite = Fixture.site(from);
        movement.toSite = Fixture.site(to);

        bytes memory expected = _recorderRefusal(actor);
        if (expected.length == 0 && quantity > available) {
            expected = abi.encodeWithSelector(
                IPaLedger.LedgerInsufficientStock.selector, movement.lot, movement.fromSite, available, quantity
            );
        }
        bytes memory callData = abi.encodeCall(IPaLedger.recordMovement, (movement));
        bytes memory data = abi.encode(_nextSequence(), movement);
        if (!_send(actor, callData, expected)) return;

        LotModel storage l = _lots[index];
        l.stock[from] -= quantity;
        l.stock[to] += quantity;
        l.dependents += 1;
        EntryModel storage e = _recorded(IPaLedger.EntryKind.Movement, actor, movement.header.entryRef, data, callData);
        e.lot = index;
        e.siteA = from;
        e.siteB = to;
        e.quantity = quantity;
    }

    function _process(
        address actor,
        uint256 lotSeed,
        uint256 siteSeed,
        uint256 quantitySeed,
        uint256 outSeed,
        bool valid
    ) internal {
        (bool found, uint8 input) = _findLot(lotSeed, true);
        if (!found) {
            if (!valid) _place(actor, lotSeed, outSeed, quantitySeed, siteSeed, false); // no lot yet: place
            return;
        }
        uint8 siteIndex = _siteWithStock(input, siteSeed);
        uint128 available = _lots[input].stock[siteIndex];
        (bool free, uint8 output) = _findLot(outSeed, false);
        if (valid && (available == 0 || !free)) return;
        if (!valid && (!free || outSeed % 10 == 0)) output = uint8(outSeed % Fixture.LOTS); // maybe in use
        uint128 quantity = _quantity(available, quantitySeed, valid);
        uint32 product = (outSeed >> 8) % 2 == 0 ? Fixture.SEALS : Fixture.SCRAP;
        uint128 outQuantity = uint128(1 + (outSeed >> 16) % 1e9);

        IPaLedger.Processing memory processing;
        processing.header = _header(_newRef());
        processing.site = Fixture.site(siteIndex);
        processing.inputs = new IPaLedger.ProcessingInput[](1);
        processing.inputs[0] = IPaLedger.ProcessingInput({lot: Fixture.lotRef(input), quantity: quantity});
        processing.outputs = new IPaLedger.ProcessingOutput[](1);
        processing.outputs[0] = IPaLedger.ProcessingOutput({
            lot: Fixture.lotRef(output),
            productCode: product,
            description: product == Fixture.SEALS ? "Rubber seals" : "Rubber scrap",
            quantity: outQuantity,
            unit: "KGM"
        });

        bytes memory expected = _recorderRefusal(actor);
        if (expected.length == 0 && quantity > available) {
            expected = abi.encodeWithSelector(
                IPaLedger.LedgerInsufficientStock.selector, Fixture.lotRef(input), processing.site, available, quantity
            );
        } else if (expected.length == 0 && _lots[output].exists) {
            expected =
                abi.encodeWithSelector(IPaLedger.LedgerLotExists.selector, Fixture.AUTH_A, Fixture.lotRef(output));
        }
        bytes memory callData = abi.encodeCall(IPaLedger.recordProcessing, (processing));
        bytes memory data = abi.encode(_nextSequence(), processing);
        if (!_send(actor, callData, expected)) return;

        LotModel storage consumed = _lots[input];
        consumed.stock[siteIndex] -= quantity;
        consumed.dependents += 1;
        LotModel storage made = _lots[output];
        made.exists = true;
        made.origin = Fixture.PROCESSED;
        made.basis = product;
        made.dependents = 0;
        made.stock[siteIndex] = outQuantity;
        EntryModel storage e =
            _recorded(IPaLedger.EntryKind.Processing, actor, processing.header.entryRef, data, callData);
        e.lot = input;
        e.outLot = output;
        e.siteA = siteIndex;
        e.quantity = quantity;
        e.outQuantity = outQuantity;
    }

    function _discharge(address actor, uint256 lotSeed, uint256 siteSeed, uint256 quantitySeed, bool valid)
        internal
    {
        (bool found, uint8 index) = _findLot(lotSeed, true);
        if (!found) {
            if (!valid) _place(actor, lotSeed, lotSeed >> 8, quantitySeed, siteSeed, false); // no lot yet: place
            return;
        }
        uint8 siteIndex = _siteWithStock(index, siteSeed);
        uint128 available = _lots[index].stock[siteIndex];
        if (valid && available == 0) return;
        uint128 quantity = _quantity(available, quantitySeed, valid);
        (uint256 casing, uint256 tread) = _equivalents(index, quantity);
        bool exceeds = discharged[0] + casing > placed[0] || discharged[1] + tread > placed[1];
        if (valid && exceeds) return;

        IPaLedger.Discharge memory out;
        out.header = _header(_newRef());
        out.lot = Fixture.lotRef(index);
        out.quantity = quantity;
        out.site = Fixture.site(siteIndex);
        bool reexport = (quantitySeed >> 8) % 2 == 0;
        out.mode = reexport ? IPaLedger.DischargeMode.Reexport : IPaLedger.DischargeMode.Destruction;
        out.declaration = reexport ? "24FR0000000000002B" : "";
        out.procedure = reexport ? 3151 : 0;

        bytes memory expected = _recorderRefusal(actor);
        if (expected.length == 0 && quantity > available) {
            expected = abi.encodeWithSelector(
                IPaLedger.LedgerInsufficientStock.selector, out.lot, out.site, available, quantity
            );
        } else if (expected.length == 0 && exceeds) {
            expected = abi.encodePacked(IPaLedger.LedgerDischargeExceedsPlaced.selector); // which code: either
        }
        bytes memory callData = abi.encodeCall(IPaLedger.recordDischarge, (out));
        bytes memory data = abi.encode(_nextSequence(), out);
        if (!_send(actor, callData, expected)) return;

        LotModel storage l = _lots[index];
        l.stock[siteIndex] -= quantity;
        l.dependents += 1;
        discharged[0] += casing;
        discharged[1] += tread;
        EntryModel storage e = _recorded(IPaLedger.EntryKind.Discharge, actor, out.header.entryRef, data, callData);
        e.lot = index;
        e.siteA = siteIndex;
        e.quantity = quantity;
    }

    function _handle(address actor, uint256 lotSeed, bool valid) internal {
        (bool found, uint8 index) = _findLot(lotSeed, true);
        if (!found) {
            if (!valid) _place(actor, lotSeed, lotSeed >> 8, lotSeed >> 16, lotSeed >> 24, false); // place
            return;
        }
        if (!valid && lotSeed % 8 == 0) index = uint8((lotSeed >> 3) % Fixture.LOTS); // maybe unknown

        IPaLedger.Handling memory handling;
        handling.header = _header(_newRef());
        handling.lot = Fixture.lotRef(index);
        handling.goodsCode = 40069000;

        bytes memory expected = _recorderRefusal(actor);
        if (expected.length == 0 && !_lots[index].exists) {
            expected = abi.encodeWithSelector(IPaLedger.LedgerUnknownLot.selector, Fixture.AUTH_A, handling.lot);
        }
        bytes memory callData = abi.encodeCall(IPaLedger.recordHandling, (handling));
        bytes memory data = abi.encode(_nextSequence(), handling);
        if (!_send(actor, callData, expected)) return;

        _lots[index].dependents += 1;
        EntryModel storage e = _recorded(IPaLedger.EntryKind.Handling, actor, handling.header.entryRef, data, callData);
        e.lot = index;
    }

    /// @dev `tamperSeed % 10`: 0, the original altered by one byte; 1, the original as logged (always, for
    /// {recordAndCorrect}, which passes 1); 2, an unknown entry reference; else as logged.
    function _correct(address actor, uint256 targetIndex, uint256 tamperSeed) internal {
        EntryModel storage target = _entries[targetIndex];
        IPaLedger.Correction memory correction;
        correction.header = _header(_newRef());
        correction.corrects = tamperSeed % 10 == 2 ? "E-never-recorded" : target.ref;
        correction.reason = "keyed twice";
        correction.original = target.data; // a copy in memory
        bool tampered = tamperSeed % 10 == 0;
        if (tampered) correction.original[correction.original.length - 1] ^= 0x01;

        bytes memory expected = _recorderRefusal(actor);
        if (expected.length == 0) {
            if (tamperSeed % 10 == 2) {
                expected =
                    abi.encodeWithSelector(IPaLedger.LedgerUnknownEntry.selector, Fixture.AUTH_A, correction.corrects);
            } else if (target.corrected) {
                expected =
                    abi.encodeWithSelector(IPaLedger.LedgerAlreadyCorrected.selector, Fixture.AUTH_A, target.ref);
            } else if (tampered) {
                expected = abi.encodeWithSelector(IPaLedger.LedgerCorrectionMismatch.selector, target.ref);
            } else {
                expected = _reversalRefusal(target);
            }
        }
        bytes memory callData = abi.encodeCall(IPaLedger.recordCorrection, (correction));
        bytes memory data = abi.encode(_nextSequence(), correction);
        if (!_send(actor, callData, expected)) return;

        _reverse(target);
        target.corrected = true;
        correctedOfKind[target.kind] += 1;
        EntryModel storage e =
            _recorded(IPaLedger.EntryKind.Correction, actor, correction.header.entryRef, data, callData);
        e.lot = uint8(targetIndex); // informational only
    }

    /// @dev Why the ledger must refuse to reverse `target` (empty: it must accept), docs/ledger.md.
    function _reversalRefusal(EntryModel storage target) internal view returns (bytes memory) {
        IPaLedger.EntryKind kind = target.kind;
        if (kind == IPaLedger.EntryKind.Placement) {
            LotModel storage l = _lots[target.lot];
            if (l.dependents != 0 || _total(l) != target.quantity || l.stock[target.siteA] != target.quantity) {
                return abi.encodeWithSelector(IPaLedger.LedgerLotInUse.selector, Fixture.lotRef(target.lot), l.dependents);
            }
            uint256 i = _codeIndex(l.basis);
            if (placed[i] - uint256(target.quantity) * Fixture.SCALE < discharged[i]) {
                return abi.encodePacked(IPaLedger.LedgerDischargeExceedsPlaced.selector);
            }
        } else if (kind == IPaLedger.EntryKind.Movement) {
            uint128 available = _lots[target.lot].stock[target.siteB];
            if (available < target.quantity) {
                return abi.encodeWithSelector(
                    IPaLedger.LedgerInsufficientStock.selector,
                    Fixture.lotRef(target.lot),
                    Fixture.site(target.siteB),
                    available,
                    target.quantity
                );
            }
        } else if (kind == IPaLedger.EntryKind.Processing) {
            LotModel storage made = _lots[target.outLot];
            if (
                made.dependents != 0 || _total(made) != target.outQuantity
                    || made.stock[target.siteA] != target.outQuantity
            ) {
                return abi.encodeWithSelector(
                    IPaLedger.LedgerLotInUse.selector, Fixture.lotRef(target.outLot), made.dependents
                );
            }
        } else if (
            kind == IPaLedger.EntryKind.Correction || kind == IPaLedger.EntryKind.DeadlineExtension
                || kind == IPaLedger.EntryKind.BillLodging
        ) {
            return abi.encodeWithSelector(IPaLedger.LedgerNotCorrectable.selector, target.ref, kind);
        }
        return "";
    }

    function _reverse(EntryModel storage target) internal {
        IPaLedger.EntryKind kind = target.kind;
        if (kind == IPaLedger.EntryKind.Placement) {
            LotModel storage l = _lots[target.lot];
            placed[_codeIndex(l.basis)] -= uint256(target.quantity) * Fixture.SCALE;
            delete _lots[target.lot];
        } else if (kind == IPaLedger.EntryKind.Movement) {
            LotModel storage l = _lots[target.lot];
            l.stock[target.siteB] -= target.quantity;
            l.stock[target.siteA] += target.quantity;
            l.dependents -= 1;
        } else if (kind == IPaLedger.EntryKind.Processing) {
            delete _lots[target.outLot];
            LotModel storage consumed = _lots[target.lot];
            consumed.stock[target.siteA] += target.quantity;
            consumed.dependents -= 1;
        } else if (kind == IPaLedger.EntryKind.Handling) {
            _lots[target.lot].dependents -= 1;
        } else if (kind == IPaLedger.EntryKind.Discharge) {
            LotModel storage l = _lots[target.lot];
            l.stock[target.siteA] += target.quantity;
            l.dependents -= 1;
            (uint256 casing, uint256 tread) = _equivalents(target.lot, target.quantity);
            discharged[0] -= casing;
            discharged[1] -= tread;
        }
    }

    // ------------------------------------------------------------ helpers

    /// @dev When nothing of the drawn kind exists yet, a placement instead (as the Python state machine).
    function _placeInstead(uint256 actorSeed, uint256 seed) internal {
        _place(_actor(actorSeed), seed, seed >> 8, seed >> 16, seed >> 24, false);
    }

    /// @dev Holder 10 in 16, broker 4 in 16 (a recorder while appointed), a stranger and the other
    /// authorisation's holder 1 in 16 each.
    function _actor(uint256 seed) internal pure returns (address) {
        uint256 r = seed % 16;
        if (r < 10) return Fixture.HOLDER;
        if (r < 14) return Fixture.BROKER;
        return r == 14 ? Fixture.STRANGER : Fixture.HOLDER2;
    }

    /// @dev The registry's refusal of `actor` recording in A now (empty: none). Status comes first.
    function _recorderRefusal(address actor) internal view returns (bytes memory) {
        if (!active) {
            return abi.encodeWithSelector(
                IAuthorisationRegistry.RegistryAuthorisationNotActive.selector,
                Fixture.AUTH_A,
                IAuthorisationRegistry.Status.Suspended
            );
        }
        if (actor == Fixture.HOLDER || (actor == Fixture.BROKER && brokerAppointed)) return "";
        return abi.encodeWithSelector(IAuthorisationRegistry.RegistryNotRecorder.selector, actor, Fixture.AUTH_A);
    }

    /// @dev The ledger's refusal of `actor` lodging a bill of A (empty: none): whatever the status.
    function _lodgerRefusal(address actor) internal view returns (bytes memory) {
        if (actor == Fixture.HOLDER || (actor == Fixture.BROKER && brokerAppointed)) return "";
        return abi.encodeWithSelector(IAuthorisationRegistry.RegistryNotRecorder.selector, actor, Fixture.AUTH_A);
    }

    /// @dev Sends a call to the ledger as `actor`; `expected` empty: it must be accepted, else refused with
    /// exactly `expected` (4 bytes: that error, whatever its arguments).
    function _send(address actor, bytes memory callData, bytes memory expected) internal returns (bool) {
        vm.prank(actor);
        (bool ok, bytes memory reason) = address(ledger).call(callData);
        if (expected.length == 0) {
            _expectAcceptance(ok, reason);
            accepted += 1;
            return true;
        }
        _expectRefusal(ok, reason, expected);
        refused += 1;
        refusedWith[bytes4(expected)] += 1;
        return false;
    }

    /// @dev Checks a registry call's answer against `expected` (empty: acceptance) and counts it.
    function _registryAnswer(bool ok, bytes memory reason, bytes memory expected) internal returns (bool) {
        if (expected.length == 0) {
            _expectAcceptance(ok, reason);
            return true;
        }
        _expectRefusal(ok, reason, expected);
        refusedWith[bytes4(expected)] += 1;
        return false;
    }

    function _expectAcceptance(bool ok, bytes memory reason) internal pure {
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }

    function _expectRefusal(bool ok, bytes memory reason, bytes memory expected) internal pure {
        if (ok) revert UnexpectedAcceptance(expected);
        bool same = expected.length == 4 ? bytes4(reason) == bytes4(expected) : keccak256(reason) == keccak256(expected);
        if (!same) revert WrongRefusal(expected, reason);
    }

    function _recorded(
        IPaLedger.EntryKind kind,
        address account,
        string memory ref,
        bytes memory data,
        bytes memory callData
    ) internal returns (EntryModel storage e) {
        e = _entries.push();
        acceptedOfKind[kind] += 1;
        e.kind = kind;
        e.account = account;
        e.ref = ref;
        e.data = data;
        e.callData = callData;
    }

    function _registryEvent(bytes memory topics, bytes memory data) internal {
        registrySequence += 1;
        registryHead = keccak256(abi.encodePacked(registryHead, keccak256(abi.encodePacked(topics, keccak256(data)))));
    }

    function _nextSequence() internal view returns (uint64) {
        return uint64(_entries.length + 1);
    }

    function _newRef() internal returns (string memory) {
        _nextRef += 1;
        uint256 n = _nextRef;
        bytes memory digits;
        do {
            digits = abi.encodePacked(bytes1(uint8(48 + n % 10)), digits);
            n /= 10;
        } while (n != 0);
        return string(abi.encodePacked("E", digits));
    }

    function _header(string memory ref) internal view returns (IPaLedger.EntryHeader memory header) {
        header.authorisation = Fixture.REF_A;
        header.entryRef = ref;
        header.occurredAt = uint64(block.timestamp);
        header.documents = new bytes32[](1);
        header.documents[0] = sha256(bytes(ref));
    }

    /// @dev The first lot from `seed` on that exists (`existing`) or not.
    function _findLot(uint256 seed, bool existing) internal view returns (bool found, uint8 index) {
        for (uint256 k; k < Fixture.LOTS; ++k) {
            uint256 i = (seed % Fixture.LOTS + k) % Fixture.LOTS;
            if (_lots[i].exists == existing) return (true, uint8(i));
        }
    }

    function _siteWithStock(uint8 index, uint256 seed) internal view returns (uint8) {
        for (uint256 k; k < Fixture.SITES; ++k) {
            uint256 s = (seed % Fixture.SITES + k) % Fixture.SITES;
            if (_lots[index].stock[s] != 0) return uint8(s);
        }
        return uint8(seed % Fixture.SITES);
    }

    /// @dev Mostly part or all of what is there; when not `valid`, 1 in 8 more than there is.
    function _quantity(uint128 available, uint256 seed, bool valid) internal pure returns (uint128) {
        if (available == 0 || (!valid && seed % 8 == 0)) return available + 1;
        if (seed % 8 == 1) return available;
        return uint128(1 + (seed >> 3) % available);
    }

    function _total(LotModel storage l) internal view returns (uint256) {
        return uint256(l.stock[0]) + l.stock[1] + l.stock[2];
    }

    function _codeIndex(uint32 code) internal pure returns (uint256) {
        return code == Fixture.CASING ? 0 : 1;
    }

    /// @dev Import goods equivalents (10^-18, rounded down per code) of `quantity` of a lot, as the ledger
    /// computes them: an import lot counts its quantity; a product lot its table ratios.
    function _equivalents(uint8 index, uint128 quantity) internal view returns (uint256 casing, uint256 tread) {
        LotModel storage l = _lots[index];
        uint256 scaled = uint256(quantity) * Fixture.SCALE;
        if (l.origin == Fixture.PLACED) {
            if (l.basis == Fixture.CASING) casing = scaled;
            else tread = scaled;
        } else if (l.basis == Fixture.SEALS) {
            casing = scaled * 1000 / 950;
            tread = scaled * 1 / 3;
        } else {
            tread = scaled;
        }
    }

    /// @dev Everything of A's balances on chain, hashed: each lot's state and stock at each site, totals.
    function _chainState() internal view returns (bytes32 state) {
        for (uint256 i; i < Fixture.LOTS; ++i) {
            bytes32 id = Fixture.lotId(i);
            IPaLedger.Lot memory l = ledger.lotOf(id);
            state = keccak256(abi.encode(state, l.stock, l.basisCode, l.version, l.dependents, l.origin));
            for (uint256 s; s < Fixture.SITES; ++s) {
                state = keccak256(abi.encode(state, ledger.stockOf(id, Fixture.siteId(s))));
            }
        }
        (uint256 p0, uint256 d0) = ledger.totalsOf(Fixture.AUTH_A, Fixture.CASING);
        (uint256 p1, uint256 d1) = ledger.totalsOf(Fixture.AUTH_A, Fixture.TREAD);
        state = keccak256(abi.encode(state, p0, d0, p1, d1));
    }

    function _topic(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }

    function _terms(string memory ref, address holder) internal view returns (IAuthorisationRegistry.Terms memory t) {
        t.ref = ref;
        t.holder = holder;
        t.holderEori = "FR12345678900042";
        t.supervisingOffice = "FR000150";
        t.validFrom = uint64(block.timestamp - 30 days);
        t.validUntil = uint64(block.timestamp + 365 days);
        t.dischargePeriodMonths = 6;
        t.periodEnd = IAuthorisationRegistry.PeriodEnd.Month;
        t.allocationKey = IAuthorisationRegistry.AllocationKey.Quantity;
        t.yieldTolerancePpm = 20_000;
        t.importGoods = new uint32[](2);
        t.importGoods[0] = Fixture.CASING;
        t.importGoods[1] = Fixture.TREAD;
        t.products = new IAuthorisationRegistry.Product[](2);
        t.products[0].code = Fixture.SEALS;
        t.products[0].description = "Rubber seals";
        t.products[0].unit = "KGM";
        t.products[0].contains = new IAuthorisationRegistry.Content[](2);
        t.products[0].contains[0] =
            IAuthorisationRegistry.Content({importGoodsCode: Fixture.CASING, numerator: 1000, denominator: 950});
        t.products[0].contains[1] =
            IAuthorisationRegistry.Content({importGoodsCode: Fixture.TREAD, numerator: 1, denominator: 3});
        t.products[1].code = Fixture.SCRAP;
        t.products[1].description = "Rubber scrap";
        t.products[1].unit = "KGM";
        t.products[1].contains = new IAuthorisationRegistry.Content[](1);
        t.products[1].contains[0] =
            IAuthorisationRegistry.Content({importGoodsCode: Fixture.TREAD, numerator: 1, denominator: 1});
    }
}
