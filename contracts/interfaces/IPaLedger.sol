// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAuthorisationRegistry} from "./IAuthorisationRegistry.sol";

/// @title Inward processing records (écritures, UCC art. 214)
/// @notice The shared record of an authorisation's placements, movements, processing, usual forms of
/// handling, discharges, corrections, deadline extensions and lodged bills of discharge. It keeps only the state needed to refuse
/// impossible records; every fact is in the event log, from which the audit is rebuilt.
/// @dev Units and identifiers:
/// - quantities are integers in millionths of the lot's unit;
/// - import goods equivalents are integers in 10^-18 of the import goods' unit, rounded down, so that
///   rounding never discharges goods that were not placed;
/// - money in euro cents; duty rates and tolerances in millionths (30 000 = 3 %);
/// - times in Unix seconds (UTC);
/// - authorisation id `keccak256(bytes(reference))`, entry id `keccak256(bytes(entryRef))` (unique within
///   the authorisation), lot id `keccak256(abi.encode(authorisationId, lotRef))`, site id
///   `keccak256(bytes(siteCode))`.
/// Every record event has three topics (authorisation id, entry id, account) and data
/// `abi.encode(sequence, entry)`. The authorisation's rolling hash is
/// `head = keccak256(abi.encodePacked(head, keccak256(abi.encodePacked(topic0, topic1, topic2, topic3,
/// keccak256(data)))))`, so anyone holding the logs can prove that none is missing or altered.
interface IPaLedger {
    /// @notice Kinds of record. `None` marks an unused entry reference.
    enum EntryKind {
        None,
        Placement,
        Movement,
        Processing,
        Handling,
        Discharge,
        Correction,
        DeadlineExtension,
        BillLodging
    }

    /// @notice How goods leave the procedure (UCC art. 215, 218; UCC-DA art. 175).
    enum DischargeMode {
        Reexport,
        FreeCirculation,
        Warehousing,
        Transfer,
        Destruction,
        Abandonment
    }

    /// @notice How a lot came into the ledger.
    enum LotOrigin {
        None,
        Placement,
        Processing
    }

    /// @notice Fields every record carries. `documents` are SHA-256 digests of supporting documents
    /// kept off chain.
    struct EntryHeader {
        string authorisation;
        string entryRef;
        uint64 occurredAt;
        bytes32[] documents;
    }

    /// @notice Placement of import goods under the procedure by a customs declaration (procedure 51xx).
    struct Placement {
        EntryHeader header;
        string lot;
        uint32 goodsCode;
        string description;
        uint128 quantity;
        bytes3 unit;
        string site;
        string declaration;
        uint16 procedure;
        uint128 customsValueCents;
        uint32 dutyRatePpm;
        bytes2 origin;
    }

    /// @notice Movement of part of a lot between two sites (UCC art. 219).
    struct Movement {
        EntryHeader header;
        string lot;
        uint128 quantity;
        string fromSite;
        string toSite;
    }

    /// @notice A quantity of a lot consumed by processing.
    struct ProcessingInput {
        string lot;
        uint128 quantity;
    }

    /// @notice A processed product lot created by processing (main or secondary product).
    struct ProcessingOutput {
        string lot;
        uint32 productCode;
        string description;
        uint128 quantity;
        bytes3 unit;
    }

    /// @notice Processing at one site: inputs consumed, product lots created; the rest is loss.
    struct Processing {
        EntryHeader header;
        string site;
        ProcessingInput[] inputs;
        ProcessingOutput[] outputs;
    }

    /// @notice A usual form of handling (UCC art. 220) that gives the lot a new CN code.
    struct Handling {
        EntryHeader header;
        string lot;
        uint32 goodsCode;
    }

    /// @notice Goods or products leaving the procedure. `declaration` is required for re-export,
    /// release for free circulation and customs warehousing.
    struct Discharge {
        EntryHeader header;
        string lot;
        uint128 quantity;
        string site;
        DischargeMode mode;
        string declaration;
        uint16 procedure;
    }

    /// @notice Reversal of an earlier entry of the same authorisation. `original` is the data of the
    /// corrected entry's event, exactly as logged.
    struct Correction {
        EntryHeader header;
        string corrects;
        string reason;
        bytes original;
    }

    /// @notice Customs extend the period for discharge of a placement (UCC art. 257(2)).
    struct DeadlineExtension {
        EntryHeader header;
        string placement;
        uint64 newDeadline;
        string reason;
    }

    /// @notice The holder (or a declarant) lodged the bill of discharge (décompte d'apurement, UCC-DA art.
    /// 175) of a span of ends of periods for discharge: the bill itself stays off chain, its SHA-256 (of
    /// the bill's canonical JSON) proves which bill was lodged. Times are the first second (UTC) of the
    /// days; `header.occurredAt` is the time of lodging.
    struct BillLodging {
        EntryHeader header;
        uint64 periodStart;
        uint64 periodEnd;
        uint64 dueDate;
        bytes32 billSha256;
    }

    /// @notice State of a lot. `stock` is the sum of its stock at every site.
    struct Lot {
        uint128 stock;
        uint32 basisCode;
        uint32 version;
        uint32 dependents;
        LotOrigin origin;
    }

    /// @notice Import goods were placed under the procedure.
    event PlacementRecorded(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed recordedBy,
        uint64 sequence,
        Placement placement
    );

    /// @notice Goods moved between sites.
    event MovementRecorded(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed recordedBy,
        uint64 sequence,
        Movement movement
    );

    /// @notice Goods were processed.
    event ProcessingRecorded(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed recordedBy,
        uint64 sequence,
        Processing processing
    );

    /// @notice A lot underwent a usual form of handling.
    event HandlingRecorded(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed recordedBy,
        uint64 sequence,
        Handling handling
    );

    /// @notice Goods left the procedure.
    event DischargeRecorded(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed recordedBy,
        uint64 sequence,
        Discharge discharge
    );

    /// @notice An earlier entry was reversed.
    event CorrectionRecorded(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed recordedBy,
        uint64 sequence,
        Correction correction
    );

    /// @notice Customs extended a placement's period for discharge.
    event DeadlineExtended(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed extendedBy,
        uint64 sequence,
        DeadlineExtension extension
    );

    /// @notice A bill of discharge was lodged.
    event BillLodged(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        address indexed lodgedBy,
        uint64 sequence,
        BillLodging lodging
    );

    /// @notice A processing entry's actual yield differs from the authorised one beyond the tolerance,
    /// for one import goods code. Equivalents in 10^-18 of the import goods' unit.
    event YieldDeviated(
        bytes32 indexed authorisationId,
        bytes32 indexed entryId,
        uint32 indexed importGoodsCode,
        uint256 inputEquivalent,
        uint256 outputEquivalent,
        uint32 yieldTolerancePpm
    );

    /// @notice The entry reference is already used in this authorisation (a re-sent record).
    error LedgerEntryExists(bytes32 authorisationId, string entryRef);

    /// @notice A required text field is empty.
    error LedgerMissingField(string entryRef, string field);

    /// @notice A quantity is zero.
    error LedgerZeroQuantity(string entryRef);

    /// @notice The entry happened before the authorisation's validity, or a placement after it.
    error LedgerOutsideValidity(string entryRef, uint64 occurredAt, uint64 validFrom, uint64 validUntil);

    /// @notice The entry says it happened after the block that records it (beyond the allowed clock skew).
    error LedgerOccurredInFuture(string entryRef, uint64 occurredAt, uint64 blockTime);

    /// @notice The goods code is not among the authorisation's import goods.
    error LedgerGoodsCodeNotAllowed(bytes32 authorisationId, uint32 goodsCode);

    /// @notice A goods code is not an 8-digit CN code.
    error LedgerInvalidGoodsCode(string entryRef, uint32 goodsCode);

    /// @notice A declaration MRN is missing or not 18 characters.
    error LedgerInvalidDeclaration(string entryRef, string declaration);

    /// @notice A lot with this reference already exists in the authorisation.
    error LedgerLotExists(bytes32 authorisationId, string lot);

    /// @notice No lot with this reference exists in the authorisation.
    error LedgerUnknownLot(bytes32 authorisationId, string lot);

    /// @notice The lot has less stock at the site than the entry takes.
    error LedgerInsufficientStock(string lot, string site, uint128 available, uint128 requested);

    /// @notice A movement's sites are the same.
    error LedgerSameSite(string entryRef, string site);

    /// @notice A processing entry has no input or no output.
    error LedgerEmptyProcessing(string entryRef, uint256 inputs, uint256 outputs);

    /// @notice The output's unit is not the product's unit in the authorisation's table.
    error LedgerUnitMismatch(uint32 productCode, bytes3 expected, bytes3 given);

    /// @notice The discharged total of an import goods code would exceed its placed total.
    error LedgerDischargeExceedsPlaced(
        bytes32 authorisationId, uint32 importGoodsCode, uint256 placed, uint256 discharged
    );

    /// @notice A discharge mode that needs a declaration has none.
    error LedgerDeclarationRequired(string entryRef, DischargeMode mode);

    /// @notice The corrected entry does not exist in the authorisation.
    error LedgerUnknownEntry(bytes32 authorisationId, string entryRef);

    /// @notice The corrected entry was already corrected.
    error LedgerAlreadyCorrected(bytes32 authorisationId, string entryRef);

    /// @notice Corrections, deadline extensions and lodged bills cannot be corrected (record a new one
    /// instead).
    error LedgerNotCorrectable(string entryRef, EntryKind kind);

    /// @notice `original` is not the logged data of the corrected entry.
    error LedgerCorrectionMismatch(string entryRef);

    /// @notice The lot cannot be removed: later entries use it, or part of it has moved.
    error LedgerLotInUse(string lot, uint32 dependents);

    /// @notice The import goods codes met by one processing entry exceed the bound.
    error LedgerTooManyImportGoods(string entryRef, uint256 maxCount);

    /// @notice The extended entry is not a placement of the authorisation (or was corrected).
    error LedgerNotAPlacement(bytes32 authorisationId, string placement);

    /// @notice A lodged bill's period is reversed.
    error LedgerInvalidBillPeriod(string entryRef, uint64 periodStart, uint64 periodEnd);

    /// @notice A bill is lodged once its period has ended (before, what it covers can still change).
    error LedgerBillPeriodNotEnded(string entryRef, uint64 periodEnd, uint64 blockTime);

    /// @notice A batch element is not an entry-recording call.
    error LedgerNotAnEntry(uint256 index, bytes4 selector);

    /// @notice Entry `index` of a batch failed with `reason` (an encoded custom error); nothing of the
    /// batch was recorded.
    error LedgerBatchEntryFailed(uint256 index, bytes reason);

    /// @notice The authorisation registry the ledger checks roles and terms against.
    function registry() external view returns (IAuthorisationRegistry);

    /// @notice Records a placement. Holder or declarant.
    function recordPlacement(Placement calldata placement) external;

    /// @notice Records a movement. Holder or declarant.
    function recordMovement(Movement calldata movement) external;

    /// @notice Records a processing operation. Holder or declarant.
    function recordProcessing(Processing calldata processing) external;

    /// @notice Records a usual form of handling. Holder or declarant.
    function recordHandling(Handling calldata handling) external;

    /// @notice Records a discharge. Holder or declarant.
    function recordDischarge(Discharge calldata discharge) external;

    /// @notice Records a correction. Holder or declarant. Restores balances exactly, and only if no later
    /// entry depends on what it removes.
    function recordCorrection(Correction calldata correction) external;

    /// @notice Extends a placement's period for discharge. Customs only; allowed whatever the
    /// authorisation's status.
    function extendDeadline(DeadlineExtension calldata extension) external;

    /// @notice Records that the bill of discharge of a period was lodged. Holder or declarant, whatever the
    /// authorisation's status: the obligation to discharge outlives a suspension or a revocation. Only
    /// once the period's last day is over.
    function lodgeBill(BillLodging calldata lodging) external;

    /// @notice Applies entry-recording calls in order, all or nothing.
    /// @dev Each element is the ABI-encoded call of one `record*` function, {extendDeadline} or {lodgeBill}. On failure
    /// reverts with {LedgerBatchEntryFailed} naming the element.
    function recordBatch(bytes[] calldata entries) external;

    /// @notice The authorisation's number of records and rolling hash.
    function chainOf(bytes32 authorisationId) external view returns (uint64 sequence, bytes32 head);

    /// @notice What is known of an entry reference: its kind (None: unused), whether it was corrected, and
    /// the low 248 bits of the hash of its logged data.
    function entryOf(bytes32 authorisationId, bytes32 entryId)
        external
        view
        returns (EntryKind kind, bool corrected, uint256 dataHash);

    /// @notice A lot's state.
    function lotOf(bytes32 lotId) external view returns (Lot memory);

    /// @notice A lot's stock at a site, in millionths of its unit.
    function stockOf(bytes32 lotId, bytes32 siteId) external view returns (uint128);

    /// @notice Import goods placed and discharged for a code, in 10^-18 of its unit.
    function totalsOf(bytes32 authorisationId, uint32 importGoodsCode)
        external
        view
        returns (uint256 placed, uint256 discharged);

    /// @notice The id of a lot reference within an authorisation.
    function lotIdOf(bytes32 authorisationId, string calldata lot) external pure returns (bytes32);
}
