// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {P256} from "./P256.sol";

/**
 * @title PatientAccessRegistry
 * @notice The patient-centric half of a ledger: published public keys, consents, the access
 *         log and the key envelopes added to records after upload. Patients and providers appear
 *         only as keyed pseudonyms (bytes32); an access-log entry's note (who read and why) is
 *         sealed to the patient's key off-chain; an added key envelope names no one.
 *
 *
 *         A consent change is the patient's own act: grantConsent, revokeConsent and
 *         replacePatientKey carry a P-256 ECDSA signature by the patient's registered signing key
 *         over `consentMessage(...)` (domain, chain id, this contract, action, patient, provider,
 *         expiry, nonce, data hash), checked here with P256VERIFY (EIP-7951) whoever sends the
 *         transaction; the service only relays. The signed message is emitted so anyone can
 *         re-verify a patient's consent history without the service.
 *
 *         Sharing by keys: each patient has epochs 0, 1, …, each a P-256 public key plus "slots"
 *         (the epoch private key wrapped to one recipient). A grant adds one slot to the current
 *         epoch; a revocation starts a new epoch. Storage keeps each slot's SHA-256 only; the slot
 *         bytes travel in EpochSlotAdded events, which readers check against the stored hashes.
 *
 * @dev Kept apart from EmrRegistry so each contract stays well under the EIP-170 code size
 *      limit and consent changes never touch record storage: a grant costs the same whatever the
 *      patient's record count. Consent is current state (checked by the service on every read);
 *      its history is the ConsentGranted / ConsentRevoked events.
 */
contract PatientAccessRegistry is AccessControl {
    /// @notice Role allowed to publish keys, register patients' signing keys, append to access logs and add
    ///         record keys. Consent changes need the patient's signature instead, from any sender.
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

    /// @notice `abi.encode`d first word of every signed message: sha256("patient-centric-emr/PatientAccessRegistry/v2").
    bytes32 public constant DOMAIN = 0x4ec5aac67d59340c67358cc29ff4df8952a3210e5c3e50c6ae72006c030c1cc7;

    /// @notice Signed actions (the `action` field of the message).
    uint8 public constant ACTION_GRANT = 1;
    uint8 public constant ACTION_REVOKE = 2;
    uint8 public constant ACTION_REPLACE_KEY = 3;

    /// @dev Big-endian length before each part hashed into a revocation's data hash.
    uint256 private constant LENGTH_PREFIX_BYTES = 4;

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

    /// @dev Consent as stored: `listed` (the provider is in the patient's provider list) shares its word.
    struct StoredConsent {
        uint64 grantedAt;
        uint64 expiresAt;
        bool active;
        bool listed;
    }

    /// @dev A patient's P-256 signing public key (affine coordinates); both zero: none registered.
    struct SigningKey {
        bytes32 x;
        bytes32 y;
    }

    /**
     * @dev One storage word per patient, written at registration, so a grant updates the nonce and the
     *      provider count in a slot already non-zero (~5,000 gas) rather than creating new ones (~22,100 each).
     */
    struct PatientState {
        /// @dev The nonce the next signed change must carry.
        uint64 nonce;
        /// @dev 0: no signing key registered; otherwise the current epoch is epochCount - 1.
        uint64 epochCount;
        /// @dev How many providers the patient ever granted (the length of `_consentProviders`).
        uint64 providerCount;
    }

    /// @dev The fields of one signed message, kept together in memory (fewer stack slots).
    struct SignedChange {
        uint8 action;
        bytes32 patientKey;
        bytes32 providerKey;
        uint64 expiresAt;
        uint64 nonce;
        bytes32 dataHash;
        bytes32 r;
        bytes32 s;
    }

    /// @notice A further key envelope for a record (a re-wrap of its data key to another recipient).
    struct RecordKey {
        bytes32 patientKey;
        bytes32 recordId;
        bytes keyEnvelope;
    }

    mapping(bytes32 subject => bytes publicKey) private _publicKeys;
    mapping(bytes32 patient => mapping(bytes32 provider => StoredConsent)) private _consents;
    /// @dev Every provider the patient ever granted, in order; the count is PatientState.providerCount.
    mapping(bytes32 patient => mapping(uint256 index => bytes32 provider)) private _consentProviders;
    mapping(bytes32 patient => SigningKey) private _signingKeys;
    mapping(bytes32 patient => PatientState) private _patients;
    /// @dev SEC 1 uncompressed (65 bytes) public key of each epoch.
    mapping(bytes32 patient => mapping(uint256 epoch => bytes publicKey)) private _epochPublicKeys;
    /// @dev sha256 of each slot of each epoch, in the order the slots were added.
    mapping(bytes32 patient => mapping(uint256 epoch => bytes32[] slotHashes)) private _epochSlotHashes;
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
    /// @notice The patient has no registered signing key.
    error PatientAccessRegistryNoPatientKey(bytes32 patientKey);
    /// @notice The patient already has a signing key (replacing it needs the current key's signature).
    error PatientAccessRegistryKeyAlreadyRegistered(bytes32 patientKey);
    /// @notice A signing key coordinate was zero.
    error PatientAccessRegistryBadSigningKey();
    /// @notice The signature does not verify under the patient's key for this message, chain and contract.
    error PatientAccessRegistryBadSignature(bytes32 patientKey);
    /// @notice The signed nonce is not the patient's next one (replayed, or out of order).
    error PatientAccessRegistryStaleNonce(uint64 expected, uint64 given);
    /// @notice The signature's s is above n/2 (only the low-S form of a signature is accepted).
    error PatientAccessRegistryHighS(bytes32 s);
    /// @notice r or s is outside [1, n - 1] (a zero signature included).
    error PatientAccessRegistrySignatureOutOfRange(bytes32 r, bytes32 s);
    /// @notice An epoch public key was not PUBLIC_KEY_BYTES long.
    error PatientAccessRegistryBadEpochKey(uint256 length);
    /// @notice A new epoch was given no slots (it needs at least the patient's own).
    error PatientAccessRegistryNoEpochSlots();
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
    /// @notice A patient's signing key was registered (at claim); their nonce starts at 0.
    event PatientKeyRegistered(bytes32 indexed patientKey, bytes32 x, bytes32 y);
    /// @notice The patient replaced their signing key, signed (r, s) by the previous one over `message`.
    event PatientKeyReplaced(
        bytes32 indexed patientKey,
        bytes32 x,
        bytes32 y,
        uint64 nonce,
        bytes message,
        bytes32 r,
        bytes32 s
    );
    /**
     * @notice A patient granted (or re-granted) a provider consent, signing (r, s) `message` (the
     *         exact bytes whose SHA-256 was verified); `nonce` is the one consumed, `epoch` the one
     *         the provider's slot was added to.
     */
    event ConsentGranted(
        bytes32 indexed patientKey,
        bytes32 indexed providerKey,
        uint64 expiresAt,
        uint64 nonce,
        uint256 epoch,
        bytes message,
        bytes32 r,
        bytes32 s
    );
    /// @notice A patient revoked a provider's consent, signing `message`; `epoch` is the new epoch it started.
    event ConsentRevoked(
        bytes32 indexed patientKey,
        bytes32 indexed providerKey,
        uint64 nonce,
        uint256 epoch,
        bytes message,
        bytes32 r,
        bytes32 s
    );
    /// @notice A patient's epoch began, with this SEC 1 uncompressed public key.
    event EpochStarted(bytes32 indexed patientKey, uint256 indexed epoch, bytes publicKey);
    /// @notice A slot (the epoch private key wrapped to one recipient) was added; sha256(slot) is stored at `index`.
    event EpochSlotAdded(bytes32 indexed patientKey, uint256 indexed epoch, uint256 index, bytes slot);
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

    /**
     * @notice Registers the patient's signing key and starts epoch 0 (at claim: the patient's browser
     *         made both, the service relays them). Once only; later changes go through replacePatientKey.
     * @dev Nothing here proves (x, y) is on the curve: an off-curve key makes every later signature
     *      fail, the same as a lost key. The client checks the point before sending it.
     */
    function registerPatientKey(
        bytes32 patientKey,
        bytes32 x,
        bytes32 y,
        bytes calldata firstEpochPublicKey,
        bytes[] calldata firstEpochSlots
    ) external onlyRole(WRITER_ROLE) {
        PatientState memory state = _patients[patientKey];
        if (state.epochCount != 0) revert PatientAccessRegistryKeyAlreadyRegistered(patientKey);
        if (x == 0 || y == 0) revert PatientAccessRegistryBadSigningKey();
        _checkEpochData(firstEpochPublicKey, firstEpochSlots);
        _signingKeys[patientKey] = SigningKey(x, y);
        state.epochCount = 1;
        _patients[patientKey] = state;
        emit PatientKeyRegistered(patientKey, x, y);
        _storeEpoch(patientKey, 0, firstEpochPublicKey, firstEpochSlots);
    }

    /**
     * @notice Grants a provider consent to read the patient's records (replacing an earlier grant),
     *         signed by the patient; any account may send it. Adds `epochSlot` (the current epoch's
     *         private key wrapped to the provider) to the current epoch.
     * @dev Signed message: action ACTION_GRANT, dataHash = sha256(epochSlot). Writes a fixed number
     *      of slots, whatever the number of the patient's records or providers.
     */
    function grantConsent(
        bytes32 patientKey,
        bytes32 providerKey,
        uint64 expiresAt,
        uint64 nonce,
        bytes32 r,
        bytes32 s,
        bytes calldata epochSlot
    ) external {
        if (expiresAt != 0 && expiresAt <= block.timestamp) {
            revert PatientAccessRegistryExpiryInPast(expiresAt, block.timestamp);
        }
        _checkSlot(0, epochSlot);
        _grant(SignedChange(ACTION_GRANT, patientKey, providerKey, expiresAt, nonce, sha256(epochSlot), r, s), epochSlot);
    }

    /**
     * @notice Revokes a provider's consent, signed by the patient; any account may send it. Starts a
     *         new epoch (a fresh key pair wrapped to the patient and the providers still consented),
     *         so records sealed after this are closed to the revoked provider. Revoking a consent not
     *         in force still starts the epoch and logs.
     * @dev Signed message: action ACTION_REVOKE, expiresAt 0, dataHash =
     *      sha256(lp(newEpochPublicKey) ‖ lp(slot_0) ‖ lp(slot_1) ‖ …), lp = 4-byte big-endian length ‖ bytes.
     */
    function revokeConsent(
        bytes32 patientKey,
        bytes32 providerKey,
        uint64 nonce,
        bytes32 r,
        bytes32 s,
        bytes calldata newEpochPublicKey,
        bytes[] calldata newEpochSlots
    ) external {
        _checkEpochData(newEpochPublicKey, newEpochSlots);
        bytes32 dataHash = _epochDataHash(newEpochPublicKey, newEpochSlots);
        _revoke(SignedChange(ACTION_REVOKE, patientKey, providerKey, 0, nonce, dataHash, r, s));
        _storeEpoch(patientKey, _patients[patientKey].epochCount - 1, newEpochPublicKey, newEpochSlots);
    }

    /**
     * @notice Replaces the patient's signing key with (newX, newY), signed by the current key; any
     *         account may send it.
     * @dev Signed message: action ACTION_REPLACE_KEY, providerKey 0, expiresAt 0, dataHash = sha256(newX ‖ newY).
     */
    function replacePatientKey(
        bytes32 patientKey,
        bytes32 newX,
        bytes32 newY,
        uint64 nonce,
        bytes32 r,
        bytes32 s
    ) external {
        if (newX == 0 || newY == 0) revert PatientAccessRegistryBadSigningKey();
        PatientState memory state = _patients[patientKey];
        bytes memory message = _verifySigned(
            state,
            SignedChange(ACTION_REPLACE_KEY, patientKey, 0, 0, nonce, sha256(abi.encodePacked(newX, newY)), r, s)
        );
        _signingKeys[patientKey] = SigningKey(newX, newY);
        state.nonce = nonce + 1;
        _patients[patientKey] = state;
        emit PatientKeyReplaced(patientKey, newX, newY, nonce, message, r, s);
    }

    /// @notice The patient's registered signing key (both zero: none).
    function patientSigningKey(bytes32 patientKey) external view returns (bytes32 x, bytes32 y) {
        SigningKey storage key = _signingKeys[patientKey];
        return (key.x, key.y);
    }

    /// @notice The nonce the patient's next signed change must carry.
    function consentNonce(bytes32 patientKey) external view returns (uint64) {
        return _patients[patientKey].nonce;
    }

    /// @notice How many epochs the patient has had (0: no key registered); the current one is the last.
    function epochCount(bytes32 patientKey) external view returns (uint256) {
        return _patients[patientKey].epochCount;
    }

    /// @notice The epoch's public key (SEC 1 uncompressed), or empty bytes for an epoch not started.
    function epochPublicKey(bytes32 patientKey, uint256 epoch) external view returns (bytes memory) {
        return _epochPublicKeys[patientKey][epoch];
    }

    /// @notice sha256 of each of the epoch's slots, in the order added (the bytes are in EpochSlotAdded events).
    function epochSlotHashes(bytes32 patientKey, uint256 epoch) external view returns (bytes32[] memory) {
        return _epochSlotHashes[patientKey][epoch];
    }

    /**
     * @notice The exact message a patient signs (ECDSA P-256 over its SHA-256) for a change on this
     *         contract and chain: abi.encode(DOMAIN, chainId, this, action, patientKey, providerKey,
     *         expiresAt, nonce, dataHash), 288 bytes.
     */
    function consentMessage(
        uint8 action,
        bytes32 patientKey,
        bytes32 providerKey,
        uint64 expiresAt,
        uint64 nonce,
        bytes32 dataHash
    ) external view returns (bytes memory) {
        return _message(SignedChange(action, patientKey, providerKey, expiresAt, nonce, dataHash, 0, 0));
    }

    /// @notice The consent as it stands (active false: none, or revoked). Expiry is for the reader to compare.
    function consentOf(bytes32 patientKey, bytes32 providerKey) external view returns (Consent memory) {
        return _toConsent(_consents[patientKey][providerKey]);
    }

    /// @notice Every provider ever granted by the patient, with the consent as it stands now.
    /// @dev Bounded by how many providers one patient ever consents to.
    function consentsOf(bytes32 patientKey)
        external
        view
        returns (bytes32[] memory providers, Consent[] memory consents)
    {
        uint256 count = _patients[patientKey].providerCount;
        providers = new bytes32[](count);
        consents = new Consent[](count);
        for (uint256 i = 0; i < count; i++) {
            providers[i] = _consentProviders[patientKey][i];
            consents[i] = _toConsent(_consents[patientKey][providers[i]]);
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

    /// @dev grantConsent after its argument checks (split off for the stack): verify, store, emit.
    function _grant(SignedChange memory change, bytes calldata epochSlot) private {
        PatientState memory state = _patients[change.patientKey];
        bytes memory message = _verifySigned(state, change);
        StoredConsent storage consent = _consents[change.patientKey][change.providerKey];
        if (!consent.listed) {
            _consentProviders[change.patientKey][state.providerCount] = change.providerKey;
            state.providerCount += 1;
        }
        _consents[change.patientKey][change.providerKey] = StoredConsent(
            uint64(block.timestamp),
            change.expiresAt,
            true,
            true
        );
        state.nonce = change.nonce + 1;
        _patients[change.patientKey] = state;
        uint256 epoch = state.epochCount - 1;
        bytes32[] storage slotHashes = _epochSlotHashes[change.patientKey][epoch];
        slotHashes.push(change.dataHash);
        emit ConsentGranted(
            change.patientKey,
            change.providerKey,
            change.expiresAt,
            change.nonce,
            epoch,
            message,
            change.r,
            change.s
        );
        emit EpochSlotAdded(change.patientKey, epoch, slotHashes.length - 1, epochSlot);
    }

    /// @dev revokeConsent after its argument checks: verify, zero the consent, open the next epoch, emit.
    function _revoke(SignedChange memory change) private {
        PatientState memory state = _patients[change.patientKey];
        bytes memory message = _verifySigned(state, change);
        StoredConsent storage consent = _consents[change.patientKey][change.providerKey];
        // Zero the consent but keep `listed`, so a later grant does not list the provider twice.
        (consent.grantedAt, consent.expiresAt, consent.active) = (0, 0, false);
        uint256 epoch = state.epochCount;
        state.epochCount += 1;
        state.nonce = change.nonce + 1;
        _patients[change.patientKey] = state;
        emit ConsentRevoked(change.patientKey, change.providerKey, change.nonce, epoch, message, change.r, change.s);
    }

    /**
     * @dev Checks `change` is signed by the patient's key with the patient's next nonce, low-S and in
     *      range; returns the signed message (for the event).
     */
    function _verifySigned(PatientState memory state, SignedChange memory change)
        private
        view
        returns (bytes memory message)
    {
        SigningKey memory key = _signingKeys[change.patientKey];
        if (state.epochCount == 0) revert PatientAccessRegistryNoPatientKey(change.patientKey);
        if (!P256.inRange(change.r, change.s)) revert PatientAccessRegistrySignatureOutOfRange(change.r, change.s);
        if (!P256.isLowS(change.s)) revert PatientAccessRegistryHighS(change.s);
        if (change.nonce != state.nonce) revert PatientAccessRegistryStaleNonce(state.nonce, change.nonce);
        message = _message(change);
        if (!P256.verify(sha256(message), change.r, change.s, key.x, key.y)) {
            revert PatientAccessRegistryBadSignature(change.patientKey);
        }
    }

    function _message(SignedChange memory change) private view returns (bytes memory) {
        return abi.encode(
            DOMAIN,
            block.chainid,
            address(this),
            change.action,
            change.patientKey,
            change.providerKey,
            change.expiresAt,
            change.nonce,
            change.dataHash
        );
    }

    function _toConsent(StoredConsent storage stored) private view returns (Consent memory) {
        return Consent(stored.grantedAt, stored.expiresAt, stored.active);
    }

    /// @dev Slot `index` must be 1..MAX_KEY_ENVELOPE_BYTES bytes, as a record's key envelope.
    function _checkSlot(uint256 index, bytes calldata slot) private pure {
        if (slot.length == 0 || slot.length > MAX_KEY_ENVELOPE_BYTES) {
            revert PatientAccessRegistryBadKeyEnvelope(index, slot.length);
        }
    }

    function _checkEpochData(bytes calldata publicKey, bytes[] calldata slots) private pure {
        if (publicKey.length != PUBLIC_KEY_BYTES) revert PatientAccessRegistryBadEpochKey(publicKey.length);
        if (slots.length == 0) revert PatientAccessRegistryNoEpochSlots();
        for (uint256 i = 0; i < slots.length; i++) {
            _checkSlot(i, slots[i]);
        }
    }

    /// @dev Stores a new epoch (already checked) and emits its events.
    function _storeEpoch(bytes32 patientKey, uint256 epoch, bytes calldata publicKey, bytes[] calldata slots) private {
        _epochPublicKeys[patientKey][epoch] = publicKey;
        bytes32[] storage slotHashes = _epochSlotHashes[patientKey][epoch];
        emit EpochStarted(patientKey, epoch, publicKey);
        for (uint256 i = 0; i < slots.length; i++) {
            slotHashes.push(sha256(slots[i]));
            emit EpochSlotAdded(patientKey, epoch, i, slots[i]);
        }
    }

    /// @dev sha256(lp(publicKey) ‖ lp(slot_0) ‖ …), lp(b) = uint32 big-endian length of b ‖ b.
    function _epochDataHash(bytes calldata publicKey, bytes[] calldata slots) private pure returns (bytes32) {
        uint256 total = LENGTH_PREFIX_BYTES + publicKey.length;
        for (uint256 i = 0; i < slots.length; i++) {
            total += LENGTH_PREFIX_BYTES + slots[i].length;
        }
        bytes memory packed = new bytes(total);
        uint256 offset = _putLengthPrefixed(packed, 0, publicKey);
        for (uint256 i = 0; i < slots.length; i++) {
            offset = _putLengthPrefixed(packed, offset, slots[i]);
        }
        return sha256(packed);
    }

    /// @dev Writes lp(part) into `out` at `offset`; returns the offset after it. Lengths are ≤ 4096 (checked).
    function _putLengthPrefixed(bytes memory out, uint256 offset, bytes calldata part) private pure returns (uint256) {
        uint256 length = part.length;
        for (uint256 i = 0; i < LENGTH_PREFIX_BYTES; i++) {
            out[offset + i] = bytes1(uint8(length >> (8 * (LENGTH_PREFIX_BYTES - 1 - i))));
        }
        // Solidity cannot copy a calldata slice into part of a memory array; calldatacopy does it in one
        // step. Stays inside `out` (allocated to the summed lengths), hence memory-safe.
        assembly ("memory-safe") {
            calldatacopy(add(add(out, 0x20), add(offset, LENGTH_PREFIX_BYTES)), part.offset, length)
        }
        return offset + LENGTH_PREFIX_BYTES + length;
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
