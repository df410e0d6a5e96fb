// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IAuthorisationRegistry} from "./interfaces/IAuthorisationRegistry.sol";
import {IPaLedger} from "./interfaces/IPaLedger.sol";
import {EntryRecord, EntryRecordLibrary} from "./libraries/EntryRecord.sol";
import {Ids} from "./libraries/Ids.sol";
import {RollingHash} from "./libraries/RollingHash.sol";

/// @title PaLedger
/// @notice The inward processing records of every authorisation in the registry.
contract PaLedger is IPaLedger {
    using RollingHash for RollingHash.Chain;

    /// @notice How far in the future of the block an entry's business time may lie (clock skew between
    /// the sender's systems and the chain).
    uint64 public constant MAX_CLOCK_SKEW = 1 hours;

    /// @notice Import goods equivalents are kept in 10^-18 of the unit: quantities (10^-6) times 10^12.
    uint256 public constant EQUIVALENT_SCALE = 1e12;

    /// @notice Bound on the distinct import goods codes one processing entry may involve.
    uint256 public constant MAX_IMPORT_GOODS = 16;

    struct Totals {
        uint256 placed;
        uint256 discharged;
    }

    /// @dev Per import goods code, the equivalents consumed and produced by one processing entry.
    struct YieldBalance {
        uint32[MAX_IMPORT_GOODS] codes;
        uint256[MAX_IMPORT_GOODS] inputs;
        uint256[MAX_IMPORT_GOODS] outputs;
        uint256 count;
    }

    IAuthorisationRegistry private immutable _registry;

    mapping(bytes32 authorisationId => RollingHash.Chain) private _chains;
    mapping(bytes32 authorisationId => mapping(bytes32 entryId => EntryRecord)) private _entries;
    mapping(bytes32 lotId => Lot) private _lots;
    mapping(bytes32 lotId => mapping(bytes32 siteId => uint128 quantity)) private _stocks;
    mapping(bytes32 authorisationId => mapping(uint32 importGoodsCode => Totals)) private _totals;

    constructor(IAuthorisationRegistry registry_) {
        _registry = registry_;
    }

    // ---------------------------------------------------------------- entries

    /// @inheritdoc IPaLedger
    function recordPlacement(Placement calldata placement) external {
        string calldata entryRef = placement.header.entryRef;
        (bytes32 authorisationId, bytes32 entryId, IAuthorisationRegistry.RecordingTerms memory terms) =
            _begin(placement.header, true);
        if (!_registry.isImportGoodsAllowed(authorisationId, terms.version, placement.goodsCode)) {
            revert LedgerGoodsCodeNotAllowed(authorisationId, placement.goodsCode);
        }
        if (placement.unit == bytes3(0)) revert LedgerMissingField(entryRef, "unit");
        _requireDeclaration(entryRef, placement.declaration);
        _createLot(
            authorisationId,
            entryRef,
            placement.lot,
            _siteId(entryRef, placement.site),
            placement.quantity,
            placement.goodsCode,
            terms.version,
            LotOrigin.Placement
        );
        _totals[authorisationId][placement.goodsCode].placed += uint256(placement.quantity) * EQUIVALENT_SCALE;
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.Placement, PlacementRecorded.selector, authorisationId, entryId, abi.encode(sequence, placement)
        );
    }

    /// @inheritdoc IPaLedger
    function recordMovement(Movement calldata movement) external {
        string calldata entryRef = movement.header.entryRef;
        (bytes32 authorisationId, bytes32 entryId,) = _begin(movement.header, false);
        bytes32 fromSiteId = _siteId(entryRef, movement.fromSite);
        bytes32 toSiteId = _siteId(entryRef, movement.toSite);
        if (fromSiteId == toSiteId) revert LedgerSameSite(entryRef, movement.toSite);
        (bytes32 lotId, Lot storage lot) = _existingLot(authorisationId, movement.lot);
        _nonZero(entryRef, movement.quantity);
        _take(lotId, movement.lot, fromSiteId, movement.fromSite, movement.quantity);
        _stocks[lotId][toSiteId] += movement.quantity;
        lot.dependents += 1;
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.Movement, MovementRecorded.selector, authorisationId, entryId, abi.encode(sequence, movement)
        );
    }

    /// @inheritdoc IPaLedger
    function recordProcessing(Processing calldata processing) external {
        string calldata entryRef = processing.header.entryRef;
        (bytes32 authorisationId, bytes32 entryId, IAuthorisationRegistry.RecordingTerms memory terms) =
            _begin(processing.header, false);
        if (processing.inputs.length == 0 || processing.outputs.length == 0) {
            revert LedgerEmptyProcessing(entryRef, processing.inputs.length, processing.outputs.length);
        }
        bytes32 siteId = _siteId(entryRef, processing.site);
        YieldBalance memory balance;
        for (uint256 i; i < processing.inputs.length; ++i) {
            _consume(authorisationId, entryRef, processing.site, siteId, processing.inputs[i], balance);
        }
        for (uint256 i; i < processing.outputs.length; ++i) {
            _produce(authorisationId, entryRef, siteId, terms.version, processing.outputs[i], balance);
        }
        _checkYield(authorisationId, entryId, terms.yieldTolerancePpm, balance);
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.Processing,
            ProcessingRecorded.selector,
            authorisationId,
            entryId,
            abi.encode(sequence, processing)
        );
    }

    /// @inheritdoc IPaLedger
    function recordHandling(Handling calldata handling) external {
        (bytes32 authorisationId, bytes32 entryId,) = _begin(handling.header, false);
        _checkGoodsCode(handling.header.entryRef, handling.goodsCode);
        (, Lot storage lot) = _existingLot(authorisationId, handling.lot);
        lot.dependents += 1;
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.Handling, HandlingRecorded.selector, authorisationId, entryId, abi.encode(sequence, handling)
        );
    }

    /// @inheritdoc IPaLedger
    function recordDischarge(Discharge calldata discharge) external {
        string calldata entryRef = discharge.header.entryRef;
        (bytes32 authorisationId, bytes32 entryId,) = _begin(discharge.header, false);
        if (
            discharge.mode == DischargeMode.Reexport || discharge.mode == DischargeMode.FreeCirculation
                || discharge.mode == DischargeMode.Warehousing
        ) {
            if (bytes(discharge.declaration).length == 0) revert LedgerDeclarationRequired(entryRef, discharge.mode);
            _requireDeclaration(entryRef, discharge.declaration);
        } else if (bytes(discharge.declaration).length != 0) {
            _requireDeclaration(entryRef, discharge.declaration);
        }
        (bytes32 lotId, Lot storage lot) = _existingLot(authorisationId, discharge.lot);
        _nonZero(entryRef, discharge.quantity);
        _take(lotId, discharge.lot, _siteId(entryRef, discharge.site), discharge.site, discharge.quantity);
        lot.stock -= discharge.quantity;
        lot.dependents += 1;
        _discharge(authorisationId, lot, discharge.quantity);
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.Discharge, DischargeRecorded.selector, authorisationId, entryId, abi.encode(sequence, discharge)
        );
    }

    /// @inheritdoc IPaLedger
    function recordCorrection(Correction calldata correction) external {
        string calldata entryRef = correction.header.entryRef;
        (bytes32 authorisationId, bytes32 entryId,) = _begin(correction.header, false);
        if (bytes(correction.reason).length == 0) revert LedgerMissingField(entryRef, "reason");
        bytes32 correctedId = Ids.entryId(correction.corrects);
        EntryRecord record = _entries[authorisationId][correctedId];
        if (record.isEmpty()) revert LedgerUnknownEntry(authorisationId, correction.corrects);
        if (record.isCorrected()) revert LedgerAlreadyCorrected(authorisationId, correction.corrects);
        EntryKind kind = record.kind();
        if (!record.matches(keccak256(correction.original))) revert LedgerCorrectionMismatch(correction.corrects);
        if (kind == EntryKind.Placement) {
            (, Placement memory placement) = abi.decode(correction.original, (uint64, Placement));
            _reversePlacement(authorisationId, placement);
        } else if (kind == EntryKind.Movement) {
            (, Movement memory movement) = abi.decode(correction.original, (uint64, Movement));
            _reverseMovement(authorisationId, movement);
        } else if (kind == EntryKind.Processing) {
            (, Processing memory processing) = abi.decode(correction.original, (uint64, Processing));
            _reverseProcessing(authorisationId, processing);
        } else if (kind == EntryKind.Handling) {
            (, Handling memory handling) = abi.decode(correction.original, (uint64, Handling));
            _existingLotMemory(authorisationId, handling.lot).dependents -= 1;
        } else if (kind == EntryKind.Discharge) {
            (, Discharge memory discharge) = abi.decode(correction.original, (uint64, Discharge));
            _reverseDischarge(authorisationId, discharge);
        } else {
            revert LedgerNotCorrectable(correction.corrects, kind);
        }
        _entries[authorisationId][correctedId] = record.markCorrected();
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.Correction,
            CorrectionRecorded.selector,
            authorisationId,
            entryId,
            abi.encode(sequence, correction)
        );
    }

    /// @inheritdoc IPaLedger
    function extendDeadline(DeadlineExtension calldata extension) external {
        if (!_registry.isCustoms(msg.sender)) {
            revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, _registry.CUSTOMS_ROLE());
        }
        string calldata entryRef = extension.header.entryRef;
        bytes32 authorisationId = Ids.authorisationId(extension.header.authorisation);
        (,, uint32 version,,) = _registry.authorisationOf(authorisationId);
        if (version == 0) revert IAuthorisationRegistry.RegistryUnknownAuthorisation(authorisationId);
        bytes32 entryId = _newEntryId(authorisationId, entryRef);
        _notInFuture(entryRef, extension.header.occurredAt);
        if (extension.newDeadline == 0) revert LedgerMissingField(entryRef, "newDeadline");
        EntryRecord record = _entries[authorisationId][Ids.entryId(extension.placement)];
        if (record.isCorrected() || record.kind() != EntryKind.Placement) {
            revert LedgerNotAPlacement(authorisationId, extension.placement);
        }
        uint64 sequence = _chains[authorisationId].next();
        _commit(
            EntryKind.DeadlineExtension,
            DeadlineExtended.selector,
            authorisationId,
            entryId,
            abi.encode(sequence, extension)
        );
    }

    /// @inheritdoc IPaLedger
    function lodgeBill(BillLodging calldata lodging) external {
        string calldata entryRef = lodging.header.entryRef;
        bytes32 authorisationId = Ids.authorisationId(lodging.header.authorisation);
        (address holder,, uint32 version,,) = _registry.authorisationOf(authorisationId);
        if (version == 0) revert IAuthorisationRegistry.RegistryUnknownAuthorisation(authorisationId);
        // Not {_begin}: a suspended or revoked authorisation's bills are still due.
        if (msg.sender != holder && !_registry.isDeclarant(authorisationId, msg.sender)) {
            revert IAuthorisationRegistry.RegistryNotRecorder(msg.sender, authorisationId);
        }
        bytes32 entryId = _newEntryId(authorisationId, entryRef);
        _notInFuture(entryRef, lodging.header.occurredAt);
        if (lodging.periodEnd < lodging.periodStart) {
            revert LedgerInvalidBillPeriod(entryRef, lodging.periodStart, lodging.periodEnd);
        }
        if (lodging.billSha256 == bytes32(0)) revert LedgerMissingField(entryRef, "billSha256");
        if (lodging.periodEnd + 1 days > block.timestamp) {
            revert LedgerBillPeriodNotEnded(entryRef, lodging.periodEnd, uint64(block.timestamp));
        }
        uint64 sequence = _chains[authorisationId].next();
        _commit(EntryKind.BillLodging, BillLodged.selector, authorisationId, entryId, abi.encode(sequence, lodging));
    }

    /// @inheritdoc IPaLedger
    function recordBatch(bytes[] calldata entries) external {
        for (uint256 i; i < entries.length; ++i) {
            bytes4 selector = bytes4(entries[i]);
            if (!_isEntrySelector(selector)) revert LedgerNotAnEntry(i, selector);
            // delegatecall to this contract keeps msg.sender, so each entry's role check sees the sender.
            (bool ok, bytes memory reason) = address(this).delegatecall(entries[i]);
            if (!ok) revert LedgerBatchEntryFailed(i, reason);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IPaLedger
    function registry() external view returns (IAuthorisationRegistry) {
        return _registry;
    }

    /// @inheritdoc IPaLedger
    function chainOf(bytes32 authorisationId) external view returns (uint64 sequence, bytes32 head) {
        RollingHash.Chain storage chain = _chains[authorisationId];
        return (chain.sequence, chain.head);
    }

    /// @inheritdoc IPaLedger
    function entryOf(bytes32 authorisationId, bytes32 entryId)
        external
        view
        returns (EntryKind kind, bool corrected, uint256 dataHash)
    {
        EntryRecord record = _entries[authorisationId][entryId];
        return (record.kind(), record.isCorrected(), record.dataHash());
    }

    /// @inheritdoc IPaLedger
    function lotOf(bytes32 lotId) external view returns (Lot memory) {
        return _lots[lotId];
    }

    /// @inheritdoc IPaLedger
    function stockOf(bytes32 lotId, bytes32 siteId) external view returns (uint128) {
        return _stocks[lotId][siteId];
    }

    /// @inheritdoc IPaLedger
    function totalsOf(bytes32 authorisationId, uint32 importGoodsCode)
        external
        view
        returns (uint256 placed, uint256 discharged)
    {
        Totals storage totals = _totals[authorisationId][importGoodsCode];
        return (totals.placed, totals.discharged);
    }

    /// @inheritdoc IPaLedger
    function lotIdOf(bytes32 authorisationId, string calldata lot) external pure returns (bytes32) {
        return Ids.lotId(authorisationId, lot);
    }

    // ---------------------------------------------------------------- entry life cycle

    /// @dev Checks who records, that the reference is new and the business time plausible. Goods can
    /// only be placed while the authorisation is valid, but what follows a placement (movements,
    /// processing, discharge) goes on after the validity ends, within the period for discharge.
    function _begin(EntryHeader calldata header, bool placing)
        private
        view
        returns (bytes32 authorisationId, bytes32 entryId, IAuthorisationRegistry.RecordingTerms memory terms)
    {
        authorisationId = Ids.authorisationId(header.authorisation);
        terms = _registry.recordingTermsFor(authorisationId, msg.sender);
        entryId = _newEntryId(authorisationId, header.entryRef);
        if (header.occurredAt < terms.validFrom || (placing && header.occurredAt > terms.validUntil)) {
            revert LedgerOutsideValidity(header.entryRef, header.occurredAt, terms.validFrom, terms.validUntil);
        }
        _notInFuture(header.entryRef, header.occurredAt);
    }

    function _newEntryId(bytes32 authorisationId, string calldata entryRef) private view returns (bytes32 entryId) {
        if (bytes(entryRef).length == 0) revert LedgerMissingField(entryRef, "entryRef");
        entryId = Ids.entryId(entryRef);
        if (!_entries[authorisationId][entryId].isEmpty()) revert LedgerEntryExists(authorisationId, entryRef);
    }

    function _notInFuture(string calldata entryRef, uint64 occurredAt) private view {
        if (occurredAt > block.timestamp + MAX_CLOCK_SKEW) {
            revert LedgerOccurredInFuture(entryRef, occurredAt, uint64(block.timestamp));
        }
    }

    /// @dev Stores the entry record, extends the rolling hash and logs exactly the bytes that were hashed.
    /// `data` starts with the entry's sequence number, {RollingHash-next} of the chain: nothing extends
    /// the chain between that read and this call, so the chain gives the entry the same number.
    function _commit(EntryKind kind, bytes32 eventSelector, bytes32 authorisationId, bytes32 entryId, bytes memory data)
        private
    {
        bytes32 dataHash = keccak256(data);
        _entries[authorisationId][entryId] = EntryRecordLibrary.pack(kind, dataHash);
        bytes32 account = bytes32(uint256(uint160(msg.sender)));
        _chains[authorisationId].extend(
            RollingHash.eventDigest(eventSelector, authorisationId, entryId, account, dataHash)
        );
        // The event is declared in IPaLedger; logging the encoded data directly guarantees that the
        // logged bytes are the hashed bytes (an `emit` would encode them a second time).
        assembly ("memory-safe") {
            log4(add(data, 0x20), mload(data), eventSelector, authorisationId, entryId, account)
        }
    }

    function _isEntrySelector(bytes4 selector) private pure returns (bool) {
        return selector == this.recordPlacement.selector || selector == this.recordMovement.selector
            || selector == this.recordProcessing.selector || selector == this.recordHandling.selector
            || selector == this.recordDischarge.selector || selector == this.recordCorrection.selector
            || selector == this.extendDeadline.selector || selector == this.lodgeBill.selector;
    }

    // ---------------------------------------------------------------- lots and stock

    function _createLot(
        bytes32 authorisationId,
        string calldata entryRef,
        string calldata lotRef,
        bytes32 siteId,
        uint128 quantity,
        uint32 basisCode,
        uint32 version,
        LotOrigin origin
    ) private {
        if (bytes(lotRef).length == 0) revert LedgerMissingField(entryRef, "lot");
        _nonZero(entryRef, quantity);
        bytes32 lotId = Ids.lotId(authorisationId, lotRef);
        if (_lots[lotId].origin != LotOrigin.None) revert LedgerLotExists(authorisationId, lotRef);
        _lots[lotId] = Lot({stock: quantity, basisCode: basisCode, version: version, dependents: 0, origin: origin});
        _stocks[lotId][siteId] = quantity;
    }

    function _existingLot(bytes32 authorisationId, string calldata lotRef)
        private
        view
        returns (bytes32 lotId, Lot storage lot)
    {
        lotId = Ids.lotId(authorisationId, lotRef);
        lot = _lots[lotId];
        if (lot.origin == LotOrigin.None) revert LedgerUnknownLot(authorisationId, lotRef);
    }

    /// @dev The same as {_existingLot} for a reference decoded into memory (corrections).
    function _existingLotMemory(bytes32 authorisationId, string memory lotRef) private view returns (Lot storage lot) {
        lot = _lots[Ids.lotIdMemory(authorisationId, lotRef)];
        if (lot.origin == LotOrigin.None) revert LedgerUnknownLot(authorisationId, lotRef);
    }

    function _take(bytes32 lotId, string memory lotRef, bytes32 siteId, string memory siteRef, uint128 quantity)
        private
    {
        uint128 available = _stocks[lotId][siteId];
        if (available < quantity) revert LedgerInsufficientStock(lotRef, siteRef, available, quantity);
        _stocks[lotId][siteId] = available - quantity;
    }

    function _siteId(string calldata entryRef, string calldata site) private pure returns (bytes32) {
        if (bytes(site).length == 0) revert LedgerMissingField(entryRef, "site");
        return Ids.siteId(site);
    }

    // ---------------------------------------------------------------- processing and yield

    function _consume(
        bytes32 authorisationId,
        string calldata entryRef,
        string calldata site,
        bytes32 siteId,
        ProcessingInput calldata input,
        YieldBalance memory balance
    ) private {
        (bytes32 lotId, Lot storage lot) = _existingLot(authorisationId, input.lot);
        _nonZero(entryRef, input.quantity);
        _take(lotId, input.lot, siteId, site, input.quantity);
        lot.stock -= input.quantity;
        lot.dependents += 1;
        if (lot.origin == LotOrigin.Placement) {
            _add(balance, entryRef, lot.basisCode, uint256(input.quantity) * EQUIVALENT_SCALE, true);
        } else {
            (, IAuthorisationRegistry.Content[] memory contains) =
                _registry.productOf(authorisationId, lot.version, lot.basisCode);
            for (uint256 j; j < contains.length; ++j) {
                _add(balance, entryRef, contains[j].importGoodsCode, _equivalent(input.quantity, contains[j]), true);
            }
        }
    }

    function _produce(
        bytes32 authorisationId,
        string calldata entryRef,
        bytes32 siteId,
        uint32 version,
        ProcessingOutput calldata output,
        YieldBalance memory balance
    ) private {
        (bytes3 unit, IAuthorisationRegistry.Content[] memory contains) =
            _registry.productOf(authorisationId, version, output.productCode);
        if (unit != output.unit) revert LedgerUnitMismatch(output.productCode, unit, output.unit);
        _createLot(
            authorisationId, entryRef, output.lot, siteId, output.quantity, output.productCode, version, LotOrigin.Processing
        );
        for (uint256 j; j < contains.length; ++j) {
            _add(balance, entryRef, contains[j].importGoodsCode, _equivalent(output.quantity, contains[j]), false);
        }
    }

    function _add(YieldBalance memory balance, string calldata entryRef, uint32 code, uint256 amount, bool isInput)
        private
        pure
    {
        uint256 i;
        while (i < balance.count && balance.codes[i] != code) ++i;
        if (i == balance.count) {
            if (i == MAX_IMPORT_GOODS) revert LedgerTooManyImportGoods(entryRef, MAX_IMPORT_GOODS);
            balance.codes[i] = code;
            balance.count = i + 1;
        }
        if (isInput) balance.inputs[i] += amount;
        else balance.outputs[i] += amount;
    }

    /// @dev Emits {YieldDeviated} for each import goods code whose output equivalent differs from the
    /// input equivalent by more than the tolerance (relative to the input). The entry is still recorded.
    function _checkYield(bytes32 authorisationId, bytes32 entryId, uint32 tolerancePpm, YieldBalance memory balance)
        private
    {
        for (uint256 i; i < balance.count; ++i) {
            uint256 inputs = balance.inputs[i];
            uint256 outputs = balance.outputs[i];
            uint256 difference = inputs > outputs ? inputs - outputs : outputs - inputs;
            if (difference * 1_000_000 > inputs * tolerancePpm) {
                emit YieldDeviated(authorisationId, entryId, balance.codes[i], inputs, outputs, tolerancePpm);
            }
        }
    }

    /// @dev Import goods equivalent of `quantity` (10^-6) of a product, in 10^-18, rounded down.
    function _equivalent(uint128 quantity, IAuthorisationRegistry.Content memory content)
        private
        pure
        returns (uint256)
    {
        // At most 2^128 * 2^40 * 2^64 < 2^256: no overflow before the division.
        return uint256(quantity) * EQUIVALENT_SCALE * content.numerator / content.denominator;
    }

    // ---------------------------------------------------------------- discharge totals

    /// @dev Adds the import goods equivalent of `quantity` of the lot to the discharged totals.
    function _discharge(bytes32 authorisationId, Lot storage lot, uint128 quantity) private {
        if (lot.origin == LotOrigin.Placement) {
            _addDischarged(authorisationId, lot.basisCode, uint256(quantity) * EQUIVALENT_SCALE);
            return;
        }
        (, IAuthorisationRegistry.Content[] memory contains) =
            _registry.productOf(authorisationId, lot.version, lot.basisCode);
        for (uint256 j; j < contains.length; ++j) {
            _addDischarged(authorisationId, contains[j].importGoodsCode, _equivalent(quantity, contains[j]));
        }
    }

    function _addDischarged(bytes32 authorisationId, uint32 code, uint256 amount) private {
        Totals storage totals = _totals[authorisationId][code];
        uint256 discharged = totals.discharged + amount;
        if (discharged > totals.placed) {
            revert LedgerDischargeExceedsPlaced(authorisationId, code, totals.placed, discharged);
        }
        totals.discharged = discharged;
    }

    /// @dev Takes the import goods equivalent of `quantity` of the lot off the discharged totals.
    function _undischarge(bytes32 authorisationId, Lot storage lot, uint128 quantity) private {
        if (lot.origin == LotOrigin.Placement) {
            _totals[authorisationId][lot.basisCode].discharged -= uint256(quantity) * EQUIVALENT_SCALE;
            return;
        }
        (, IAuthorisationRegistry.Content[] memory contains) =
            _registry.productOf(authorisationId, lot.version, lot.basisCode);
        for (uint256 j; j < contains.length; ++j) {
            _totals[authorisationId][contains[j].importGoodsCode].discharged -= _equivalent(quantity, contains[j]);
        }
    }

    // ---------------------------------------------------------------- corrections

    function _reversePlacement(bytes32 authorisationId, Placement memory placement) private {
        _removeLot(authorisationId, placement.lot, placement.site, placement.quantity);
        Totals storage totals = _totals[authorisationId][placement.goodsCode];
        uint256 placed = totals.placed - uint256(placement.quantity) * EQUIVALENT_SCALE;
        if (placed < totals.discharged) {
            revert LedgerDischargeExceedsPlaced(authorisationId, placement.goodsCode, placed, totals.discharged);
        }
        totals.placed = placed;
    }

    function _reverseMovement(bytes32 authorisationId, Movement memory movement) private {
        Lot storage lot = _existingLotMemory(authorisationId, movement.lot);
        bytes32 lotId = Ids.lotIdMemory(authorisationId, movement.lot);
        _take(lotId, movement.lot, Ids.siteIdMemory(movement.toSite), movement.toSite, movement.quantity);
        _stocks[lotId][Ids.siteIdMemory(movement.fromSite)] += movement.quantity;
        lot.dependents -= 1;
    }

    function _reverseProcessing(bytes32 authorisationId, Processing memory processing) private {
        for (uint256 i; i < processing.outputs.length; ++i) {
            ProcessingOutput memory output = processing.outputs[i];
            _removeLot(authorisationId, output.lot, processing.site, output.quantity);
        }
        bytes32 siteId = Ids.siteIdMemory(processing.site);
        for (uint256 i; i < processing.inputs.length; ++i) {
            ProcessingInput memory input = processing.inputs[i];
            Lot storage lot = _existingLotMemory(authorisationId, input.lot);
            _stocks[Ids.lotIdMemory(authorisationId, input.lot)][siteId] += input.quantity;
            lot.stock += input.quantity;
            lot.dependents -= 1;
        }
    }

    function _reverseDischarge(bytes32 authorisationId, Discharge memory discharge) private {
        Lot storage lot = _existingLotMemory(authorisationId, discharge.lot);
        _stocks[Ids.lotIdMemory(authorisationId, discharge.lot)][Ids.siteIdMemory(discharge.site)] +=
            discharge.quantity;
        lot.stock += discharge.quantity;
        lot.dependents -= 1;
        _undischarge(authorisationId, lot, discharge.quantity);
    }

    /// @dev Removes a lot created by a corrected entry: only when nothing else used it and all of it is
    /// still where it was created.
    function _removeLot(bytes32 authorisationId, string memory lotRef, string memory site, uint128 quantity) private {
        Lot storage lot = _existingLotMemory(authorisationId, lotRef);
        bytes32 lotId = Ids.lotIdMemory(authorisationId, lotRef);
        bytes32 siteId = Ids.siteIdMemory(site);
        if (lot.dependents != 0 || lot.stock != quantity || _stocks[lotId][siteId] != quantity) {
            revert LedgerLotInUse(lotRef, lot.dependents);
        }
        delete _lots[lotId];
        delete _stocks[lotId][siteId];
    }

    // ---------------------------------------------------------------- field checks

    function _nonZero(string calldata entryRef, uint128 quantity) private pure {
        if (quantity == 0) revert LedgerZeroQuantity(entryRef);
    }

    function _requireDeclaration(string calldata entryRef, string calldata declaration) private pure {
        // The MRN's format and check character are verified off chain; the length is a cheap guard.
        if (bytes(declaration).length != 18) revert LedgerInvalidDeclaration(entryRef, declaration);
    }

    function _checkGoodsCode(string calldata entryRef, uint32 code) private pure {
        if (code == 0 || code > 99_999_999) revert LedgerInvalidGoodsCode(entryRef, code);
    }
}
