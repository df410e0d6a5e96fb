// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Inward processing authorisations (UCC art. 211, 256)
/// @notice Customs register each authorisation with its terms: holder, validity, period for discharge,
/// allowed import goods and the table of import goods equivalents per unit of processed product (the
/// inverse of the rate of yield, UCC art. 255). The holder appoints the declarants who may record for it.
/// @dev Authorisations are keyed by `keccak256(bytes(ref))`. Every change keeps the previous
/// version in the logs; product tables of earlier versions stay readable because product lots refer to
/// the version under which they were processed.
interface IAuthorisationRegistry {
    /// @notice Life cycle of an authorisation. Only `Active` accepts new entries; `Revoked` is final.
    enum Status {
        None,
        Active,
        Suspended,
        Revoked
    }

    /// @notice End-of-period rule of UCC art. 257(2): the period for discharge ends on the last day of
    /// the month, quarter or semester in which it would otherwise end.
    enum PeriodEnd {
        None,
        Month,
        Quarter,
        Semester
    }

    /// @notice How customs derived the product table when one operation yields several products.
    enum AllocationKey {
        Quantity,
        Value
    }

    /// @notice Import goods equivalent of one unit of a processed product, for one import goods code, as
    /// an exact ratio `numerator / denominator` (e.g. 1000/950 kg of import goods per kg of product).
    struct Content {
        uint32 importGoodsCode;
        uint64 numerator;
        uint64 denominator;
    }

    /// @notice A processed product the authorisation knows, with what one unit of it contains.
    struct Product {
        uint32 code;
        string description;
        bytes3 unit;
        Content[] contains;
    }

    /// @notice Everything customs state in an authorisation. Dates are Unix seconds (UTC); `validUntil` is
    /// the last second of validity. `yieldTolerancePpm` is in millionths (20 000 = 2 %).
    struct Terms {
        string ref;
        address holder;
        string holderEori;
        string supervisingOffice;
        uint64 validFrom;
        uint64 validUntil;
        uint16 dischargePeriodMonths;
        PeriodEnd periodEnd;
        AllocationKey allocationKey;
        uint32 yieldTolerancePpm;
        bool deemedReleaseOnExpiry;
        uint32[] importGoods;
        Product[] products;
    }

    /// @notice What the ledger needs to accept an entry for an authorisation.
    struct RecordingTerms {
        address holder;
        uint64 validFrom;
        uint64 validUntil;
        uint32 version;
        uint32 yieldTolerancePpm;
    }

    /// @notice Customs registered a new authorisation (version 1).
    event AuthorisationRegistered(
        bytes32 indexed authorisationId, address indexed holder, address indexed registeredBy, uint32 version, Terms terms
    );

    /// @notice Customs amended an authorisation: `terms` replace the previous version's from now on.
    event AuthorisationAmended(
        bytes32 indexed authorisationId, address indexed holder, address indexed amendedBy, uint32 version, Terms terms
    );

    /// @notice Customs changed an authorisation's status (suspended, reinstated or revoked), saying why.
    event AuthorisationStatusChanged(
        bytes32 indexed authorisationId, address indexed changedBy, Status previousStatus, Status status, string reason
    );

    /// @notice The holder appointed a declarant (customs broker) to record entries for the authorisation.
    event DeclarantAppointed(bytes32 indexed authorisationId, address indexed declarant, address indexed appointedBy);

    /// @notice The holder removed a declarant.
    event DeclarantRemoved(bytes32 indexed authorisationId, address indexed declarant, address indexed removedBy);

    /// @notice `account` published an encryption public key (HPKE, X25519) in the key directory:
    /// version `keyVersion` of its key (1 for its first), which replaces any earlier one from now on.
    event EncryptionKeyPublished(address indexed account, bytes32 publicKey, uint32 keyVersion);

    /// @notice `publishedBy` published a key envelope: the authorisation's blinding key and the data key
    /// of `epoch`, encrypted for `recipient`'s published encryption key. The chain keeps envelopes in its
    /// logs only; a later one for the same authorisation, epoch and recipient (a recovery) adds to it.
    event KeyEnvelopePublished(
        bytes32 indexed authorisationId,
        address indexed recipient,
        uint32 indexed epoch,
        address publishedBy,
        bytes envelope
    );

    /// @notice The authorisation's data-key epoch `epoch` started (a declarant was removed): payloads
    /// sealed from now on use a new data key, wrapped for those who remain.
    event KeyEpochStarted(bytes32 indexed authorisationId, uint32 epoch);

    /// @notice No authorisation has this id.
    error RegistryUnknownAuthorisation(bytes32 authorisationId);

    /// @notice An authorisation with this ref is already registered (amend it instead).
    error RegistryAuthorisationExists(bytes32 authorisationId, string ref);

    /// @notice A required text field of the terms is empty.
    error RegistryMissingField(string field);

    /// @notice The holder is the zero address.
    error RegistryZeroHolder();

    /// @notice The validity period is empty or reversed.
    error RegistryInvalidValidity(uint64 validFrom, uint64 validUntil);

    /// @notice The period for discharge must be between 1 and `maxMonths` months.
    error RegistryInvalidDischargePeriod(uint16 months, uint16 maxMonths);

    /// @notice A goods or product code is not an 8-digit CN code.
    error RegistryInvalidGoodsCode(uint32 code);

    /// @notice A code appears twice in the import goods list, in the product table or in one product.
    error RegistryDuplicateCode(uint32 code);

    /// @notice The authorisation lists more import goods codes than the ledger bounds its loops by.
    error RegistryTooManyImportGoods(uint256 count, uint256 maxCount);

    /// @notice A product contains nothing, or has no unit.
    error RegistryInvalidProduct(uint32 productCode);

    /// @notice A product's content refers to an import goods code the authorisation does not allow.
    error RegistryContentNotAllowed(uint32 productCode, uint32 importGoodsCode);

    /// @notice A ratio has a zero numerator or denominator.
    error RegistryInvalidRatio(uint32 productCode, uint32 importGoodsCode, uint64 numerator, uint64 denominator);

    /// @notice The yield tolerance is above 100 %.
    error RegistryInvalidTolerance(uint32 yieldTolerancePpm);

    /// @notice The requested status change is not allowed from the current status.
    error RegistryInvalidStatusChange(bytes32 authorisationId, Status status, Status requested);

    /// @notice `account` is not the holder of the authorisation.
    error RegistryNotHolder(address account, bytes32 authorisationId);

    /// @notice `account` is neither the holder nor an appointed declarant of the authorisation.
    error RegistryNotRecorder(address account, bytes32 authorisationId);

    /// @notice The authorisation is suspended or revoked and accepts no new entries.
    error RegistryAuthorisationNotActive(bytes32 authorisationId, Status status);

    /// @notice The declarant is already appointed (appoint) or is not appointed (remove).
    error RegistryDeclarantUnchanged(bytes32 authorisationId, address declarant, bool appointed);

    /// @notice The product code is not in the authorisation's table at that version.
    error RegistryUnknownProduct(bytes32 authorisationId, uint32 version, uint32 productCode);

    /// @notice The encryption public key is zero (no key).
    error RegistryZeroEncryptionKey(address account);

    /// @notice `account` published this encryption public key already: it is its current one.
    error RegistryEncryptionKeyUnchanged(address account, bytes32 publicKey);

    /// @notice `recipient` has published no encryption key: nothing can be wrapped for it.
    error RegistryNoEncryptionKey(address recipient);

    /// @notice `account` may not publish key envelopes of the authorisation (customs and its holder may).
    error RegistryNotKeyPublisher(address account, bytes32 authorisationId);

    /// @notice The holder may wrap an authorisation's keys only for itself, its appointed declarants and
    /// customs; `recipient` is none of them.
    error RegistryKeyRecipientNotAllowed(bytes32 authorisationId, address recipient);

    /// @notice The epoch has not started: envelopes are for the current epoch or an earlier one.
    error RegistryInvalidKeyEpoch(bytes32 authorisationId, uint32 epoch, uint32 currentEpoch);

    /// @notice A key envelope is empty or longer than the registry accepts.
    error RegistryInvalidEnvelopeLength(uint256 length, uint256 maxLength);

    /// @notice Role of the customs officers who register and supervise authorisations.
    function CUSTOMS_ROLE() external view returns (bytes32);

    /// @notice Registers a new authorisation. Customs only.
    /// @return authorisationId `keccak256(bytes(terms.ref))`
    function register(Terms calldata terms) external returns (bytes32 authorisationId);

    /// @notice Replaces an authorisation's terms by a new version; the ref cannot change. Customs only.
    /// Not allowed on a revoked authorisation.
    /// @return version the new version number
    function amend(Terms calldata terms) external returns (uint32 version);

    /// @notice Suspends an active authorisation: it accepts no new entries until reinstated. Customs only.
    function suspend(bytes32 authorisationId, string calldata reason) external;

    /// @notice Reinstates a suspended authorisation. Customs only.
    function reinstate(bytes32 authorisationId, string calldata reason) external;

    /// @notice Revokes an authorisation for good. Customs only.
    function revoke(bytes32 authorisationId, string calldata reason) external;

    /// @notice Appoints a declarant for the authorisation. Holder only.
    function appointDeclarant(bytes32 authorisationId, address declarant) external;

    /// @notice Removes a declarant. Holder only. Starts the authorisation's next data-key epoch
    /// ({KeyEpochStarted}, logged right after {DeclarantRemoved}).
    function removeDeclarant(bytes32 authorisationId, address declarant) external;

    /// @notice Publishes the sender's encryption public key (raw X25519, 32 bytes) in the key directory,
    /// as its next key version. Anyone, for its own account only.
    /// @dev Reverts with {RegistryZeroEncryptionKey} for a zero key and {RegistryEncryptionKeyUnchanged}
    /// when it is the current key already.
    /// @return keyVersion the version of the key now published (1 for an account's first)
    function publishEncryptionKey(bytes32 publicKey) external returns (uint32 keyVersion);

    /// @notice Publishes a key envelope of an authorisation for `recipient` at `epoch`. Customs, for any
    /// authorisation and recipient (at registration: the supervising office and the holder; later: a
    /// holder that lost its key); the authorisation's holder, for itself, its appointed declarants and
    /// customs (at a new epoch). The registry does not read the envelope; the client's check is that it
    /// opens with the recipient's key and is bound to this authorisation, epoch and recipient.
    /// @dev Reverts with {RegistryUnknownAuthorisation}, {RegistryNotKeyPublisher},
    /// {RegistryKeyRecipientNotAllowed}, {RegistryNoEncryptionKey} (the recipient published no key),
    /// {RegistryInvalidKeyEpoch} (an epoch after the current one) or {RegistryInvalidEnvelopeLength}.
    function publishKeyEnvelope(bytes32 authorisationId, uint32 epoch, address recipient, bytes calldata envelope)
        external;

    /// @notice The account's current encryption public key and its version (zero and 0: none published).
    function encryptionKeyOf(address account) external view returns (bytes32 publicKey, uint32 keyVersion);

    /// @notice The authorisation's current data-key epoch: 0 from registration, one more per declarant
    /// removed (0 for an unknown authorisation).
    function keyEpochOf(bytes32 authorisationId) external view returns (uint32);

    /// @notice Whether `account` has the customs role.
    function isCustoms(address account) external view returns (bool);

    /// @notice Whether `account` is an appointed declarant of the authorisation.
    function isDeclarant(bytes32 authorisationId, address account) external view returns (bool);

    /// @notice The authorisation's holder, status and current version (version 0: unknown).
    function authorisationOf(bytes32 authorisationId)
        external
        view
        returns (address holder, Status status, uint32 version, uint64 validFrom, uint64 validUntil);

    /// @notice The terms under which `account` may record an entry now.
    /// @dev Reverts with {RegistryUnknownAuthorisation}, {RegistryAuthorisationNotActive} or
    /// {RegistryNotRecorder}, naming the account.
    function recordingTermsFor(bytes32 authorisationId, address account)
        external
        view
        returns (RecordingTerms memory terms);

    /// @notice Whether the import goods code is allowed at that version of the authorisation.
    function isImportGoodsAllowed(bytes32 authorisationId, uint32 version, uint32 importGoodsCode)
        external
        view
        returns (bool);

    /// @notice Unit and contents of a product at a version. Bounded by the import goods limit.
    /// @dev Reverts with {RegistryUnknownProduct} when the table has no such product.
    function productOf(bytes32 authorisationId, uint32 version, uint32 productCode)
        external
        view
        returns (bytes3 unit, Content[] memory contains);

    /// @notice The id of an authorisation ref: `keccak256(bytes(ref))`.
    function authorisationIdOf(string calldata ref) external pure returns (bytes32);

    /// @notice The number of events the registry has logged and their rolling hash: the proof that a
    /// reader holds every registration, amendment, status change, declarant change, role change, published
    /// encryption key, key envelope and key epoch.
    /// @dev Each event extends `head = keccak256(head ‖ keccak256(topic0 ‖ … ‖ topicN ‖ keccak256(data)))`,
    /// from 32 zero bytes, `data` being the event's ABI-encoded non-indexed values: the formula of the
    /// ledger's per-authorisation chains ({IPaLedger-chainOf}).
    function registryChain() external view returns (uint64 sequence, bytes32 head);
}
