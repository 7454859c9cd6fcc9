// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/**
 * @title PatientAccessRegistry
 * @notice The patient-centric half of a ledger: published public keys, consents, the access
 *         log and the key envelopes added to records after upload. Patients and providers appear
 *         only as keyed pseudonyms (bytes32); an access-log entry's note (who read and why) is
 *         sealed to the patient's key off-chain; an added key envelope names no one.
 *
 * @dev Kept apart from EmrRegistry so each contract stays well under the EIP-170 code size
 *      limit and consent changes never touch record storage. Consent is current state (checked
 *      by the service on every read); its history is the ConsentGranted / ConsentRevoked events.
 */
contract PatientAccessRegistry is AccessControl {
    /// @notice Role allowed to publish keys, change consents, append to access logs and add record keys.
    bytes32 public constant WRITER_ROLE = keccak256("WRITER_ROLE");

    /// @notice SEC 1 uncompressed P-256 public key length.
    uint256 public constant PUBLIC_KEY_BYTES = 65;

    /// @notice Largest page an access-log view returns, so one call stays cheap for any node.
    uint256 public constant MAX_PAGE = 100;

    /// @notice Largest sealed note accepted for one access-log entry.
    uint256 public constant MAX_NOTE_BYTES = 1024;

    /// @notice Why an access happened: 0 = the provider's own upload, 1 = consent, 2 = emergency.
    uint8 public constant MAX_ACCESS_KIND = 2;

    /// @notice The kind of a break-glass read, indexed apart so no flood of other reads can bury it.
    uint8 public constant EMERGENCY_KIND = 2;

    /// @notice Largest key envelope accepted for one record (a v2 envelope of 36 slots is 4070 bytes).
    uint256 public constant MAX_KEY_ENVELOPE_BYTES = 4096;

    /// @notice Most key envelopes one record may be given, so `recordKeysOf` stays one cheap call.
    uint256 public constant MAX_RECORD_KEYS = 32;

    struct Consent {
        uint64 grantedAt;
        /// @dev 0: until revoked.
        uint64 expiresAt;
        bool active;
    }

    struct AccessEntry {
        bytes32 patientKey;
        bytes32 accessorKey;
        /// @dev bytes32(0): the history was listed, not one record read.
        bytes32 recordId;
        uint64 readAt;
        uint8 kind;
        bytes sealedNote;
    }

    /// @notice A further key envelope for a record (a re-wrap of its data key to another recipient).
    struct RecordKey {
        bytes32 patientKey;
        bytes32 recordId;
        bytes keyEnvelope;
    }

    mapping(bytes32 subject => bytes publicKey) private _publicKeys;
    mapping(bytes32 patient => mapping(bytes32 provider => Consent)) private _consents;
    mapping(bytes32 patient => bytes32[] providers) private _consentProviders;
    mapping(bytes32 patient => mapping(bytes32 provider => bool)) private _everGranted;
    mapping(bytes32 patient => AccessEntry[]) private _accessLog;
    /// @dev Ascending 1-based positions in `_accessLog` of the patient's emergency entries.
    mapping(bytes32 patient => uint256[] positions) private _emergencyPositions;
    /// @dev Keyed by patient as well as record id: one patient's entries can never reach another's record.
    mapping(bytes32 patient => mapping(bytes32 record => bytes[] envelopes)) private _recordKeys;

    /// @notice A public key had the wrong length.
    error PatientAccessRegistryBadPublicKey(uint256 length);
    /// @notice A consent's expiry is not after the current block time.
    error PatientAccessRegistryExpiryInPast(uint64 expiresAt, uint256 blockTime);
    /// @notice An access-log entry had an unknown kind or an oversized note.
    error PatientAccessRegistryBadEntry(uint256 index);
    /// @notice A zero address was given where an account is required.
    error PatientAccessRegistryZeroAddress();
    /// @notice addRecordKeys was called with no entries.
    error PatientAccessRegistryEmptyBatch();
    /// @notice The key envelope of entry `index` was empty or longer than MAX_KEY_ENVELOPE_BYTES.
    error PatientAccessRegistryBadKeyEnvelope(uint256 index, uint256 length);
    /// @notice Entry `index` would give its record more than MAX_RECORD_KEYS key envelopes.
    error PatientAccessRegistryTooManyRecordKeys(uint256 index, bytes32 patientKey, bytes32 recordId);

    /// @notice A patient's or provider's public key was published (or rotated).
    event PublicKeyPublished(bytes32 indexed subjectKey, bytes publicKey);
    /// @notice A patient granted (or re-granted) a provider consent.
    event ConsentGranted(bytes32 indexed patientKey, bytes32 indexed providerKey, uint64 expiresAt);
    /// @notice A patient revoked a provider's consent.
    event ConsentRevoked(bytes32 indexed patientKey, bytes32 indexed providerKey);
    /// @notice Someone other than the patient read a record (or the history) of the patient.
    event AccessLogged(
        bytes32 indexed patientKey,
        bytes32 indexed accessorKey,
        bytes32 indexed recordId,
        uint8 kind,
        uint64 readAt,
        uint256 position
    );

    /// @notice A key envelope was added to a record; `index` is its 0-based place in recordKeysOf.
    event RecordKeyAdded(bytes32 indexed patientKey, bytes32 indexed recordId, uint256 index);

    /// @notice `admin` manages roles; `writer` is the service's account.
    constructor(address admin, address writer) {
        if (admin == address(0) || writer == address(0)) revert PatientAccessRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(WRITER_ROLE, writer);
    }

    /// @notice Publishes the P-256 public key of a patient or provider pseudonym.
    function publishPublicKey(bytes32 subjectKey, bytes calldata publicKey) external onlyRole(WRITER_ROLE) {
        if (publicKey.length != PUBLIC_KEY_BYTES) revert PatientAccessRegistryBadPublicKey(publicKey.length);
        _publicKeys[subjectKey] = publicKey;
        emit PublicKeyPublished(subjectKey, publicKey);
    }

    /// @notice The published public key, or empty bytes.
    function publicKeyOf(bytes32 subjectKey) external view returns (bytes memory) {
        return _publicKeys[subjectKey];
    }

    /// @notice Grants a provider consent to read the patient's records; replaces an earlier grant.
    function grantConsent(bytes32 patientKey, bytes32 providerKey, uint64 expiresAt) external onlyRole(WRITER_ROLE) {
        if (expiresAt != 0 && expiresAt <= block.timestamp) {
            revert PatientAccessRegistryExpiryInPast(expiresAt, block.timestamp);
        }
        _consents[patientKey][providerKey] = Consent(uint64(block.timestamp), expiresAt, true);
        if (!_everGranted[patientKey][providerKey]) {
            _everGranted[patientKey][providerKey] = true;
            _consentProviders[patientKey].push(providerKey);
        }
        emit ConsentGranted(patientKey, providerKey, expiresAt);
    }

    /// @notice Revokes a provider's consent; revoking one not in force changes nothing but still logs.
    function revokeConsent(bytes32 patientKey, bytes32 providerKey) external onlyRole(WRITER_ROLE) {
        delete _consents[patientKey][providerKey];
        emit ConsentRevoked(patientKey, providerKey);
    }

    /// @notice The consent as it stands (active false: none, or revoked). Expiry is for the reader to compare.
    function consentOf(bytes32 patientKey, bytes32 providerKey) external view returns (Consent memory) {
        return _consents[patientKey][providerKey];
    }

    /// @notice Every provider ever granted by the patient, with the consent as it stands now.
    /// @dev Bounded by how many providers one patient ever consents to.
    function consentsOf(bytes32 patientKey)
        external
        view
        returns (bytes32[] memory providers, Consent[] memory consents)
    {
        providers = _consentProviders[patientKey];
        consents = new Consent[](providers.length);
        for (uint256 i = 0; i < providers.length; i++) {
            consents[i] = _consents[patientKey][providers[i]];
        }
    }

    /// @notice Appends access-log entries (a batch, possibly for several patients).
    function appendAccessLog(AccessEntry[] calldata entries) external onlyRole(WRITER_ROLE) {
        for (uint256 i = 0; i < entries.length; i++) {
            AccessEntry calldata entry = entries[i];
            if (entry.kind > MAX_ACCESS_KIND || entry.sealedNote.length > MAX_NOTE_BYTES) {
                revert PatientAccessRegistryBadEntry(i);
            }
            _accessLog[entry.patientKey].push(entry);
            uint256 position = _accessLog[entry.patientKey].length;
            if (entry.kind == EMERGENCY_KIND) _emergencyPositions[entry.patientKey].push(position);
            emit AccessLogged(entry.patientKey, entry.accessorKey, entry.recordId, entry.kind, entry.readAt, position);
        }
    }

    /**
     * @notice Adds key envelopes to records (a batch, possibly for several records and patients);
     *         each is appended after those the record already has.
     * @dev The envelopes are opaque here: the reader authenticates one by the record's sealed header
     *      opening under the data key it yields.
     */
    function addRecordKeys(RecordKey[] calldata entries) external onlyRole(WRITER_ROLE) {
        if (entries.length == 0) revert PatientAccessRegistryEmptyBatch();
        for (uint256 i = 0; i < entries.length; i++) {
            RecordKey calldata entry = entries[i];
            uint256 length = entry.keyEnvelope.length;
            if (length == 0 || length > MAX_KEY_ENVELOPE_BYTES) revert PatientAccessRegistryBadKeyEnvelope(i, length);
            bytes[] storage envelopes = _recordKeys[entry.patientKey][entry.recordId];
            uint256 index = envelopes.length;
            if (index == MAX_RECORD_KEYS) {
                revert PatientAccessRegistryTooManyRecordKeys(i, entry.patientKey, entry.recordId);
            }
            envelopes.push(entry.keyEnvelope);
            emit RecordKeyAdded(entry.patientKey, entry.recordId, index);
        }
    }

    /// @notice The key envelopes added to the patient's record, oldest first (empty when none).
    function recordKeysOf(bytes32 patientKey, bytes32 recordId) external view returns (bytes[] memory) {
        return _recordKeys[patientKey][recordId];
    }

    /// @notice How many entries the patient's access log holds.
    function accessLogLength(bytes32 patientKey) external view returns (uint256) {
        return _accessLog[patientKey].length;
    }

    /// @notice How many emergency (break-glass) entries the patient's access log holds.
    function emergencyCount(bytes32 patientKey) external view returns (uint256) {
        return _emergencyPositions[patientKey].length;
    }

    /**
     * @notice Up to `limit` emergency entries with 1-based positions below `beforePosition`, newest
     *         first (`beforePosition` 0: from the newest); positions are those of the whole log.
     * @dev O(log n + page) through the emergency index, however many other entries the log holds.
     */
    function emergencyLogPage(bytes32 patientKey, uint256 beforePosition, uint256 limit)
        external
        view
        returns (AccessEntry[] memory entries, uint256[] memory positions)
    {
        uint256[] storage index = _emergencyPositions[patientKey];
        uint256 end = beforePosition == 0 ? index.length : _countBelow(index, beforePosition);
        uint256 count = limit > MAX_PAGE ? MAX_PAGE : limit;
        if (count > end) count = end;
        entries = new AccessEntry[](count);
        positions = new uint256[](count);
        AccessEntry[] storage log = _accessLog[patientKey];
        for (uint256 i = 0; i < count; i++) {
            uint256 position = index[end - 1 - i];
            entries[i] = log[position - 1];
            positions[i] = position;
        }
    }

    /**
     * @notice Up to `limit` entries with 1-based positions below `beforePosition`, newest first
     *         (`beforePosition` 0: from the newest).
     */
    function accessLogPage(bytes32 patientKey, uint256 beforePosition, uint256 limit)
        external
        view
        returns (AccessEntry[] memory entries, uint256[] memory positions)
    {
        AccessEntry[] storage log = _accessLog[patientKey];
        uint256 end = beforePosition == 0 || beforePosition > log.length + 1 ? log.length + 1 : beforePosition;
        uint256 count = limit > MAX_PAGE ? MAX_PAGE : limit;
        if (count > end - 1) count = end - 1;
        entries = new AccessEntry[](count);
        positions = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            uint256 position = end - 1 - i;
            entries[i] = log[position - 1];
            positions[i] = position;
        }
    }

    /// @dev How many of the ascending `positions` are below `bound` (binary search).
    function _countBelow(uint256[] storage positions, uint256 bound) private view returns (uint256 low) {
        uint256 high = positions.length;
        while (low < high) {
            uint256 middle = (low + high) / 2;
            if (positions[middle] < bound) low = middle + 1;
            else high = middle;
        }
    }
}
