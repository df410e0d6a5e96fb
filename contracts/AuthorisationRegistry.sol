// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAuthorisationRegistry} from "./interfaces/IAuthorisationRegistry.sol";
import {Ids} from "./libraries/Ids.sol";
import {RollingHash} from "./libraries/RollingHash.sol";

/// @title AuthorisationRegistry
/// @notice Customs' register of inward processing authorisations and the holders' declarants, with the
/// key directory (each account's encryption public key) and the authorisations' key envelopes and epochs.
contract AuthorisationRegistry is IAuthorisationRegistry, AccessControl {
    using RollingHash for RollingHash.Chain;

    /// @inheritdoc IAuthorisationRegistry
    bytes32 public constant CUSTOMS_ROLE = keccak256("CUSTOMS_ROLE");

    /// @notice Bound on the import goods codes of one authorisation, so that every loop over a product's
    /// contents (processing, discharge) is bounded.
    uint256 public constant MAX_IMPORT_GOODS = 16;

    /// @notice Longest period for discharge accepted (customs may extend placements beyond it).
    uint16 public constant MAX_DISCHARGE_PERIOD_MONTHS = 120;

    /// @notice Longest key envelope accepted, in bytes (the client's are 113: HPKE's encapsulated key,
    /// two 32-byte keys and the tag, after a version byte), so that no log of the registry is unbounded.
    uint256 public constant MAX_ENVELOPE_BYTES = 512;

    struct Authorisation {
        address holder;
        uint32 version;
        Status status;
        uint32 yieldTolerancePpm;
        uint64 validFrom;
        uint64 validUntil;
    }

    struct EncryptionKey {
        bytes32 publicKey;
        uint32 keyVersion;
    }

    struct StoredProduct {
        bytes3 unit;
        Content[] contains;
    }

    mapping(bytes32 authorisationId => Authorisation) private _authorisations;
    mapping(bytes32 authorisationId => mapping(address account => bool appointed)) private _declarants;
    mapping(bytes32 authorisationId => mapping(uint32 version => mapping(uint32 code => bool allowed))) private
        _importGoods;
    mapping(bytes32 authorisationId => mapping(uint32 version => mapping(uint32 code => StoredProduct))) private
        _products;
    mapping(address account => EncryptionKey) private _encryptionKeys;
    mapping(bytes32 authorisationId => uint32 epoch) private _keyEpochs;
    RollingHash.Chain private _chain;

    /// @param customs the first customs account: it holds the customs role and administers it.
    constructor(address customs) {
        _grantRole(DEFAULT_ADMIN_ROLE, customs);
        _grantRole(CUSTOMS_ROLE, customs);
    }

    /// @inheritdoc IAuthorisationRegistry
    function register(Terms calldata terms) external onlyRole(CUSTOMS_ROLE) returns (bytes32 authorisationId) {
        authorisationId = Ids.authorisationId(terms.ref);
        if (_authorisations[authorisationId].version != 0) {
            revert RegistryAuthorisationExists(authorisationId, terms.ref);
        }
        _store(authorisationId, terms, 1, Status.Active);
        _extend(
            abi.encodePacked(
                AuthorisationRegistered.selector, authorisationId, _topic(terms.holder), _topic(msg.sender)
            ),
            abi.encode(uint32(1), terms)
        );
        emit AuthorisationRegistered(authorisationId, terms.holder, msg.sender, 1, terms);
    }

    /// @inheritdoc IAuthorisationRegistry
    function amend(Terms calldata terms) external onlyRole(CUSTOMS_ROLE) returns (uint32 version) {
        bytes32 authorisationId = Ids.authorisationId(terms.ref);
        Authorisation storage current = _existing(authorisationId);
        if (current.status == Status.Revoked) {
            revert RegistryInvalidStatusChange(authorisationId, Status.Revoked, Status.Revoked);
        }
        version = current.version + 1;
        _store(authorisationId, terms, version, current.status);
        _extend(
            abi.encodePacked(AuthorisationAmended.selector, authorisationId, _topic(terms.holder), _topic(msg.sender)),
            abi.encode(version, terms)
        );
        emit AuthorisationAmended(authorisationId, terms.holder, msg.sender, version, terms);
    }

    /// @inheritdoc IAuthorisationRegistry
    function suspend(bytes32 authorisationId, string calldata reason) external onlyRole(CUSTOMS_ROLE) {
        _changeStatus(authorisationId, Status.Active, Status.Suspended, reason);
    }

    /// @inheritdoc IAuthorisationRegistry
    function reinstate(bytes32 authorisationId, string calldata reason) external onlyRole(CUSTOMS_ROLE) {
        _changeStatus(authorisationId, Status.Suspended, Status.Active, reason);
    }

    /// @inheritdoc IAuthorisationRegistry
    function revoke(bytes32 authorisationId, string calldata reason) external onlyRole(CUSTOMS_ROLE) {
        Status status = _existing(authorisationId).status;
        if (status == Status.Revoked) revert RegistryInvalidStatusChange(authorisationId, status, Status.Revoked);
        _changeStatus(authorisationId, status, Status.Revoked, reason);
    }

    /// @inheritdoc IAuthorisationRegistry
    function appointDeclarant(bytes32 authorisationId, address declarant) external {
        _requireHolder(authorisationId);
        if (_declarants[authorisationId][declarant]) {
            revert RegistryDeclarantUnchanged(authorisationId, declarant, true);
        }
        _declarants[authorisationId][declarant] = true;
        _extend(
            abi.encodePacked(DeclarantAppointed.selector, authorisationId, _topic(declarant), _topic(msg.sender)), ""
        );
        emit DeclarantAppointed(authorisationId, declarant, msg.sender);
    }

    /// @inheritdoc IAuthorisationRegistry
    function removeDeclarant(bytes32 authorisationId, address declarant) external {
        _requireHolder(authorisationId);
        if (!_declarants[authorisationId][declarant]) {
            revert RegistryDeclarantUnchanged(authorisationId, declarant, false);
        }
        _declarants[authorisationId][declarant] = false;
        _extend(
            abi.encodePacked(DeclarantRemoved.selector, authorisationId, _topic(declarant), _topic(msg.sender)), ""
        );
        emit DeclarantRemoved(authorisationId, declarant, msg.sender);
        uint32 epoch = _keyEpochs[authorisationId] + 1;
        _keyEpochs[authorisationId] = epoch;
        _extend(abi.encodePacked(KeyEpochStarted.selector, authorisationId), abi.encode(epoch));
        emit KeyEpochStarted(authorisationId, epoch);
    }

    /// @inheritdoc IAuthorisationRegistry
    function publishEncryptionKey(bytes32 publicKey) external returns (uint32 keyVersion) {
        if (publicKey == bytes32(0)) revert RegistryZeroEncryptionKey(msg.sender);
        EncryptionKey storage key = _encryptionKeys[msg.sender];
        if (key.publicKey == publicKey) revert RegistryEncryptionKeyUnchanged(msg.sender, publicKey);
        keyVersion = key.keyVersion + 1;
        key.publicKey = publicKey;
        key.keyVersion = keyVersion;
        _extend(
            abi.encodePacked(EncryptionKeyPublished.selector, _topic(msg.sender)), abi.encode(publicKey, keyVersion)
        );
        emit EncryptionKeyPublished(msg.sender, publicKey, keyVersion);
    }

    /// @inheritdoc IAuthorisationRegistry
    function publishKeyEnvelope(bytes32 authorisationId, uint32 epoch, address recipient, bytes calldata envelope)
        external
    {
        Authorisation storage a = _existing(authorisationId);
        if (!hasRole(CUSTOMS_ROLE, msg.sender)) {
            if (msg.sender != a.holder) revert RegistryNotKeyPublisher(msg.sender, authorisationId);
            if (recipient != a.holder && !_declarants[authorisationId][recipient] && !hasRole(CUSTOMS_ROLE, recipient))
            {
                revert RegistryKeyRecipientNotAllowed(authorisationId, recipient);
            }
        }
        if (_encryptionKeys[recipient].keyVersion == 0) revert RegistryNoEncryptionKey(recipient);
        uint32 current = _keyEpochs[authorisationId];
        if (epoch > current) revert RegistryInvalidKeyEpoch(authorisationId, epoch, current);
        if (envelope.length == 0 || envelope.length > MAX_ENVELOPE_BYTES) {
            revert RegistryInvalidEnvelopeLength(envelope.length, MAX_ENVELOPE_BYTES);
        }
        _extend(
            abi.encodePacked(KeyEnvelopePublished.selector, authorisationId, _topic(recipient), uint256(epoch)),
            abi.encode(msg.sender, envelope)
        );
        emit KeyEnvelopePublished(authorisationId, recipient, epoch, msg.sender, envelope);
    }

    /// @inheritdoc IAuthorisationRegistry
    function isCustoms(address account) external view returns (bool) {
        return hasRole(CUSTOMS_ROLE, account);
    }

    /// @inheritdoc IAuthorisationRegistry
    function isDeclarant(bytes32 authorisationId, address account) external view returns (bool) {
        return _declarants[authorisationId][account];
    }

    /// @inheritdoc IAuthorisationRegistry
    function authorisationOf(bytes32 authorisationId)
        external
        view
        returns (address holder, Status status, uint32 version, uint64 validFrom, uint64 validUntil)
    {
        Authorisation storage a = _authorisations[authorisationId];
        return (a.holder, a.status, a.version, a.validFrom, a.validUntil);
    }

    /// @inheritdoc IAuthorisationRegistry
    function recordingTermsFor(bytes32 authorisationId, address account)
        external
        view
        returns (RecordingTerms memory terms)
    {
        Authorisation storage a = _existing(authorisationId);
        if (a.status != Status.Active) revert RegistryAuthorisationNotActive(authorisationId, a.status);
        if (account != a.holder && !_declarants[authorisationId][account]) {
            revert RegistryNotRecorder(account, authorisationId);
        }
        return RecordingTerms({
            holder: a.holder,
            validFrom: a.validFrom,
            validUntil: a.validUntil,
            version: a.version,
            yieldTolerancePpm: a.yieldTolerancePpm
        });
    }

    /// @inheritdoc IAuthorisationRegistry
    function isImportGoodsAllowed(bytes32 authorisationId, uint32 version, uint32 importGoodsCode)
        external
        view
        returns (bool)
    {
        return _importGoods[authorisationId][version][importGoodsCode];
    }

    /// @inheritdoc IAuthorisationRegistry
    function productOf(bytes32 authorisationId, uint32 version, uint32 productCode)
        external
        view
        returns (bytes3 unit, Content[] memory contains)
    {
        StoredProduct storage product = _products[authorisationId][version][productCode];
        if (product.contains.length == 0) revert RegistryUnknownProduct(authorisationId, version, productCode);
        return (product.unit, product.contains);
    }

    /// @inheritdoc IAuthorisationRegistry
    function encryptionKeyOf(address account) external view returns (bytes32 publicKey, uint32 keyVersion) {
        EncryptionKey storage key = _encryptionKeys[account];
        return (key.publicKey, key.keyVersion);
    }

    /// @inheritdoc IAuthorisationRegistry
    function keyEpochOf(bytes32 authorisationId) external view returns (uint32) {
        return _keyEpochs[authorisationId];
    }

    /// @inheritdoc IAuthorisationRegistry
    function authorisationIdOf(string calldata ref) external pure returns (bytes32) {
        return Ids.authorisationId(ref);
    }

    /// @inheritdoc IAuthorisationRegistry
    function registryChain() external view returns (uint64 sequence, bytes32 head) {
        return (_chain.sequence, _chain.head);
    }

    /// @dev Role changes are registry events too: each extends the chain after OpenZeppelin emits it.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted) _extend(abi.encodePacked(RoleGranted.selector, role, _topic(account), _topic(_msgSender())), "");
    }

    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked) _extend(abi.encodePacked(RoleRevoked.selector, role, _topic(account), _topic(_msgSender())), "");
    }

    /// @dev Not called today (slither: dead code); overridden so that every log the registry can emit
    /// stays a step of its chain if it ever is.
    function _setRoleAdmin(bytes32 role, bytes32 adminRole) internal override {
        bytes32 previousAdminRole = getRoleAdmin(role);
        super._setRoleAdmin(role, adminRole);
        _extend(abi.encodePacked(RoleAdminChanged.selector, role, previousAdminRole, adminRole), "");
    }

    /// @dev Extends the registry's rolling hash by an event it emits (just before or, for role changes,
    /// just after, with nothing logged between): its topics, packed, and its data as the event encodes
    /// it (`abi.encode` of its non-indexed values, as `emit` does). Every log of the registry is one step.
    function _extend(bytes memory topics, bytes memory data) private {
        _chain.extend(RollingHash.eventDigest(topics, keccak256(data)));
    }

    function _topic(address account) private pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }

    /// @dev Checks the terms and writes them as `version`. Loops run over the caller's own input only.
    function _store(bytes32 authorisationId, Terms calldata terms, uint32 version, Status status) private {
        _checkTerms(terms);
        _authorisations[authorisationId] = Authorisation({
            holder: terms.holder,
            version: version,
            status: status,
            yieldTolerancePpm: terms.yieldTolerancePpm,
            validFrom: terms.validFrom,
            validUntil: terms.validUntil
        });
        uint256 importCount = terms.importGoods.length;
        if (importCount > MAX_IMPORT_GOODS) revert RegistryTooManyImportGoods(importCount, MAX_IMPORT_GOODS);
        mapping(uint32 code => bool allowed) storage allowed = _importGoods[authorisationId][version];
        for (uint256 i; i < importCount; ++i) {
            uint32 code = terms.importGoods[i];
            _checkCode(code);
            if (allowed[code]) revert RegistryDuplicateCode(code);
            allowed[code] = true;
        }
        mapping(uint32 code => StoredProduct) storage products = _products[authorisationId][version];
        for (uint256 i; i < terms.products.length; ++i) {
            Product calldata product = terms.products[i];
            _checkCode(product.code);
            StoredProduct storage stored = products[product.code];
            if (stored.contains.length != 0) revert RegistryDuplicateCode(product.code);
            if (product.unit == bytes3(0) || product.contains.length == 0) revert RegistryInvalidProduct(product.code);
            stored.unit = product.unit;
            for (uint256 j; j < product.contains.length; ++j) {
                Content calldata content = product.contains[j];
                if (!allowed[content.importGoodsCode]) {
                    revert RegistryContentNotAllowed(product.code, content.importGoodsCode);
                }
                if (content.numerator == 0 || content.denominator == 0) {
                    revert RegistryInvalidRatio(
                        product.code, content.importGoodsCode, content.numerator, content.denominator
                    );
                }
                for (uint256 k; k < j; ++k) {
                    if (product.contains[k].importGoodsCode == content.importGoodsCode) {
                        revert RegistryDuplicateCode(content.importGoodsCode);
                    }
                }
                stored.contains.push(content);
            }
        }
    }

    function _checkTerms(Terms calldata terms) private pure {
        if (bytes(terms.ref).length == 0) revert RegistryMissingField("ref");
        if (bytes(terms.holderEori).length == 0) revert RegistryMissingField("holderEori");
        if (bytes(terms.supervisingOffice).length == 0) revert RegistryMissingField("supervisingOffice");
        if (terms.holder == address(0)) revert RegistryZeroHolder();
        if (terms.validUntil <= terms.validFrom) revert RegistryInvalidValidity(terms.validFrom, terms.validUntil);
        if (terms.dischargePeriodMonths == 0 || terms.dischargePeriodMonths > MAX_DISCHARGE_PERIOD_MONTHS) {
            revert RegistryInvalidDischargePeriod(terms.dischargePeriodMonths, MAX_DISCHARGE_PERIOD_MONTHS);
        }
        if (terms.yieldTolerancePpm > 1_000_000) revert RegistryInvalidTolerance(terms.yieldTolerancePpm);
    }

    function _checkCode(uint32 code) private pure {
        // CN codes have exactly 8 digits; a leading zero is kept by formatting, so 01012100 is 1012100.
        if (code == 0 || code > 99_999_999) revert RegistryInvalidGoodsCode(code);
    }

    function _changeStatus(bytes32 authorisationId, Status from, Status to, string calldata reason) private {
        Authorisation storage a = _existing(authorisationId);
        if (a.status != from) revert RegistryInvalidStatusChange(authorisationId, a.status, to);
        a.status = to;
        _extend(
            abi.encodePacked(AuthorisationStatusChanged.selector, authorisationId, _topic(msg.sender)),
            abi.encode(from, to, reason)
        );
        emit AuthorisationStatusChanged(authorisationId, msg.sender, from, to, reason);
    }

    function _requireHolder(bytes32 authorisationId) private view {
        if (_existing(authorisationId).holder != msg.sender) revert RegistryNotHolder(msg.sender, authorisationId);
    }

    function _existing(bytes32 authorisationId) private view returns (Authorisation storage a) {
        a = _authorisations[authorisationId];
        if (a.version == 0) revert RegistryUnknownAuthorisation(authorisationId);
    }
}
