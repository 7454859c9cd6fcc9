// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/**
 * @title EmrRegistry
 * @notice Append-only registry of encrypted medical records, one history per pseudonymous
 *         patient key. Nothing stored here is readable without the off-chain keys: patients are
 *         keyed pseudonyms, file bytes are AEAD ciphertext, file name and type are sealed.
 *
 * @dev Storage layout (all three kinds are immutable once written):
 *
 *  - Content chunk: a contract whose runtime code is `0x00 (STOP) || up to 24,575 ciphertext bytes`.
 *    Code costs 200 gas/byte to deposit (plus 16 gas/byte of calldata) against ~690 gas/byte for
 *    SSTORE, and is read back for free with eth_getCode. The leading STOP makes a call into a chunk
 *    a no-op; EIP-170 caps code at 24,576 bytes, hence 24,575 data bytes.
 *  - Record manifest: a contract created at commit whose runtime code is
 *      0x00 (STOP) | u16 sealedHeader length | u16 keyEnvelope length | u16 signature length
 *      | sealedHeader | keyEnvelope | signature | chunk addresses (20 bytes each, in content order)
 *    (big-endian lengths). The variable-length fields cost 200 gas/byte there instead of a
 *    storage slot per 32 bytes.
 *  - Storage: the fixed-size fields of each record (five slots), the per-patient list of record
 *    ids (one slot per record) and, while an upload is in flight, its pending chunk list digest.
 *
 *  An upload is `storeChunks` zero or more times, then one `commitRecord` (which may carry the
 *  last chunks itself). Chunks are bound to (writer, record id) through a running keccak256
 *  digest, so a commit can only reference chunks this registry deployed for that upload, in
 *  order, and a half-written upload is never visible as a record.
 */
contract EmrRegistry is AccessControl {
    /// @notice Role allowed to store chunks, commit records and use the seed's storeData.
    bytes32 public constant WRITER_ROLE = keccak256("WRITER_ROLE");

    /// @notice EIP-170 maximum size of deployed contract code, in bytes.
    uint256 public constant MAX_CODE_BYTES = 24_576;

    /// @notice Largest chunk payload: the code size limit less the leading STOP byte.
    uint256 public constant MAX_CHUNK_BYTES = MAX_CODE_BYTES - 1;

    /// @notice Largest page returned by `recordsPage`.
    uint256 public constant MAX_PAGE_SIZE = 100;

    /// @dev 0x00 STOP + three u16 field lengths at the start of a manifest.
    uint256 private constant MANIFEST_PREFIX_BYTES = 7;

    /// @dev Bytes of initcode in front of the runtime code: 10 bytes of loader (see `_initcodeHead`).
    uint256 private constant INITCODE_LOADER_BYTES = 10;

    /// @dev Loader plus the runtime's leading STOP byte: where chunk data starts inside initcode.
    uint256 private constant CHUNK_INITCODE_HEAD_BYTES = 11;

    /// @dev Each packed address is read/written as a full 32-byte word; 12 bytes of slack keep
    ///      that word inside the allocation.
    uint256 private constant ADDRESS_WORD_SLACK = 12;

    /// @notice What a writer commits. `chunks` are the addresses returned by earlier
    ///         `storeChunks` calls for this record id, in content order.
    struct RecordInput {
        bytes32 patientKey;
        bytes32 recordId;
        bytes32 contentSha256;
        bytes32 signerKeyId;
        uint256 contentLength;
        address[] chunks;
        bytes sealedHeader;
        bytes keyEnvelope;
        bytes signature;
    }

    /// @notice A record as the views return it.
    struct RecordView {
        bytes32 recordId;
        bytes32 patientKey;
        uint256 version;
        bytes32 contentSha256;
        uint256 contentLength;
        address[] chunks;
        bytes sealedHeader;
        bytes keyEnvelope;
        bytes signature;
        bytes32 signerKeyId;
        address writer;
        uint256 createdAt;
        uint256 blockNumber;
        address manifest;
    }

    /// @dev Five slots. `writer == address(0)` means "no such record".
    struct StoredRecord {
        bytes32 patientKey;
        bytes32 contentSha256;
        bytes32 signerKeyId;
        address writer;
        uint40 createdAt;
        uint56 blockNumber;
        address manifest;
        uint48 contentLength;
        uint32 version;
        uint16 chunkCount;
    }

    /// @dev Two slots; deleted at commit. `chunksDigest` = keccak256(previous digest || chunk address).
    struct PendingUpload {
        bytes32 chunksDigest;
        uint64 contentLength;
        uint32 chunkCount;
    }

    mapping(bytes32 recordId => StoredRecord record) private _records;
    mapping(bytes32 patientKey => bytes32[] recordIds) private _histories;
    mapping(bytes32 uploadKey => PendingUpload upload) private _pendingUploads;
    mapping(string identifier => string[] versions) private _seedData;

    /// @notice `admin` or `writer` was the zero address.
    error EmrRegistryZeroAddress();
    /// @notice A record with this id is already committed; records are never overwritten.
    error EmrRegistryRecordExists(bytes32 recordId);
    /// @notice No record with this id.
    error EmrRegistryUnknownRecord(bytes32 recordId);
    /// @notice The patient has no records.
    error EmrRegistryNoRecords(bytes32 patientKey);
    /// @notice `storeChunks` was called with an empty list.
    error EmrRegistryNoChunks();
    /// @notice Chunk `index` of the upload has no bytes.
    error EmrRegistryEmptyChunk(uint256 index);
    /// @notice Chunk `index` exceeds `maxLength` bytes (EIP-170 less the STOP byte).
    error EmrRegistryChunkTooLarge(uint256 index, uint256 length, uint256 maxLength);
    /// @notice `storeChunks` continued an upload at `firstIndex` but `expectedIndex` chunks are stored.
    error EmrRegistryChunkOutOfOrder(bytes32 recordId, uint256 firstIndex, uint256 expectedIndex);
    /// @notice CREATE of chunk `index` failed (out of gas or code size).
    error EmrRegistryChunkDeployFailed(uint256 index);
    /// @notice The committed chunk list is not the one this writer stored for the record.
    error EmrRegistryChunkListMismatch(bytes32 recordId);
    /// @notice The declared content length differs from the bytes stored in the chunks.
    error EmrRegistryContentLengthMismatch(bytes32 recordId, uint256 declaredLength, uint256 storedLength);
    /// @notice The manifest (sealed fields plus 20 bytes per chunk) exceeds the EIP-170 limit.
    error EmrRegistryManifestTooLarge(bytes32 recordId, uint256 size, uint256 maxSize);
    /// @notice CREATE of the manifest failed.
    error EmrRegistryManifestDeployFailed(bytes32 recordId);
    /// @notice `limit` is 0 or above `maxLimit`.
    error EmrRegistryInvalidPageSize(uint256 limit, uint256 maxLimit);
    /// @notice The seed-compatible store has no version `version` (1-based) for `identifier`.
    error EmrRegistryUnknownData(string identifier, uint256 version);

    /// @notice A chunk of record `recordId` was deployed at `chunk` by `writer`.
    event ChunkStored(
        bytes32 indexed recordId,
        address indexed writer,
        address indexed chunk,
        uint256 index,
        uint256 length
    );
    /// @notice `writer` restarted the upload of `recordId`; its `discardedChunks` earlier chunks are orphaned.
    event PendingUploadDiscarded(bytes32 indexed recordId, address indexed writer, uint256 discardedChunks);
    /// @notice Record `recordId` was committed as `version` of the patient's history.
    event RecordStored(
        bytes32 indexed recordId,
        bytes32 indexed patientKey,
        address indexed writer,
        uint256 version,
        address manifest,
        uint256 contentLength,
        bytes32 contentSha256
    );
    /// @notice Seed-compatible `storeData` appended `version` for `identifier` (topic is its keccak256).
    event DataStored(string indexed identifier, address indexed writer, uint256 version);

    /// @notice Grants `admin` the admin role and, unless zero, `writer` the writer role.
    constructor(address admin, address writer) {
        if (admin == address(0)) revert EmrRegistryZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (writer != address(0)) _grantRole(WRITER_ROLE, writer);
    }

    // ---------------------------------------------------------------- writes

    /**
     * @notice Deploys `chunks` as code for record `recordId`, continuing the caller's pending upload
     *         at `firstIndex` (0 starts over and discards any earlier pending chunks of that upload).
     * @dev A full chunk costs ~5.36 M gas (4.92 M of it code deposit), so three fit under the
     *      EIP-7825 per-transaction cap of 16,777,216 gas.
     * @return deployed The chunk addresses, also announced by `ChunkStored`.
     */
    function storeChunks(
        bytes32 recordId,
        uint256 firstIndex,
        bytes[] calldata chunks
    ) external onlyRole(WRITER_ROLE) returns (address[] memory deployed) {
        if (_records[recordId].writer != address(0)) revert EmrRegistryRecordExists(recordId);
        if (chunks.length == 0) revert EmrRegistryNoChunks();
        bytes32 uploadKey = _uploadKey(msg.sender, recordId);
        PendingUpload memory pending = _pendingUploads[uploadKey];
        if (firstIndex == 0) {
            if (pending.chunkCount != 0) {
                emit PendingUploadDiscarded(recordId, msg.sender, pending.chunkCount);
                pending = PendingUpload(bytes32(0), 0, 0);
            }
        } else if (firstIndex != pending.chunkCount) {
            revert EmrRegistryChunkOutOfOrder(recordId, firstIndex, pending.chunkCount);
        }
        deployed = _deployChunks(recordId, pending, chunks);
        _pendingUploads[uploadKey] = pending;
    }

    /**
     * @notice Commits a record as the next version of its patient's history. `tailChunks` are
     *         deployed in this same transaction and appended after `record.chunks`, so a record
     *         that fits in a couple of chunks takes a single transaction.
     * @dev Reverts unless `record.chunks` is exactly the caller's pending chunk list for this id
     *      and the chunks hold exactly `record.contentLength` bytes.
     * @return version The record's 1-based position in the patient's history.
     */
    function commitRecord(
        RecordInput calldata record,
        bytes[] calldata tailChunks
    ) external onlyRole(WRITER_ROLE) returns (uint256 version) {
        bytes32 recordId = record.recordId;
        if (_records[recordId].writer != address(0)) revert EmrRegistryRecordExists(recordId);
        bytes32 uploadKey = _uploadKey(msg.sender, recordId);
        PendingUpload memory pending = _pendingUploads[uploadKey];
        if (record.chunks.length != pending.chunkCount || _chunksDigest(record.chunks) != pending.chunksDigest) {
            revert EmrRegistryChunkListMismatch(recordId);
        }
        address[] memory tail = _deployChunks(recordId, pending, tailChunks);
        if (pending.contentLength != record.contentLength) {
            revert EmrRegistryContentLengthMismatch(recordId, record.contentLength, pending.contentLength);
        }
        if (record.chunks.length != 0) delete _pendingUploads[uploadKey];

        address manifest = _deployManifest(record, tail);
        version = _appendRecord(record, manifest, pending.chunkCount);
    }

    /**
     * @notice Seed-compatible write (ABI of the original prototype). Appends `_data` as a new
     *         version for `_identifier`; earlier versions stay readable through `getDataAt`.
     * @dev Parameter names keep the seed's ABI. Stores the string in contract storage (~690 gas
     *      per byte): kept for compatibility, not for records.
     */
    function storeData(string calldata _identifier, string calldata _data) external onlyRole(WRITER_ROLE) {
        string[] storage versions = _seedData[_identifier];
        versions.push(_data);
        emit DataStored(_identifier, msg.sender, versions.length);
    }

    // ----------------------------------------------------------------- views

    /**
     * @notice Seed-compatible read: the latest data stored for `_identifier`, or "" if none.
     * @dev Public: anything in contract storage is readable with eth_getStorageAt anyway.
     */
    function getData(string calldata _identifier) external view returns (string memory) {
        string[] storage versions = _seedData[_identifier];
        if (versions.length == 0) return "";
        return versions[versions.length - 1];
    }

    /// @notice How many versions `storeData` appended for `identifier`.
    function dataVersionCount(string calldata identifier) external view returns (uint256) {
        return _seedData[identifier].length;
    }

    /// @notice Version `version` (1-based) of the seed-compatible data for `identifier`.
    function getDataAt(string calldata identifier, uint256 version) external view returns (string memory) {
        string[] storage versions = _seedData[identifier];
        if (version == 0 || version > versions.length) revert EmrRegistryUnknownData(identifier, version);
        return versions[version - 1];
    }

    /// @notice Whether a record with this id is committed.
    function recordExists(bytes32 recordId) external view returns (bool) {
        return _records[recordId].writer != address(0);
    }

    /// @notice Number of records in the patient's history (= the latest version).
    function recordCount(bytes32 patientKey) external view returns (uint256) {
        return _histories[patientKey].length;
    }

    /// @notice The record with id `recordId`; reverts with EmrRegistryUnknownRecord if none.
    function getRecord(bytes32 recordId) external view returns (RecordView memory) {
        StoredRecord storage stored = _records[recordId];
        if (stored.writer == address(0)) revert EmrRegistryUnknownRecord(recordId);
        return _toView(recordId, stored);
    }

    /// @notice The patient's newest record; reverts with EmrRegistryNoRecords if none.
    function latestRecord(bytes32 patientKey) external view returns (RecordView memory) {
        bytes32[] storage history = _histories[patientKey];
        if (history.length == 0) revert EmrRegistryNoRecords(patientKey);
        bytes32 recordId = history[history.length - 1];
        return _toView(recordId, _records[recordId]);
    }

    /**
     * @notice Up to `limit` of the patient's records with version strictly below `beforeVersion`
     *         (0: from the newest), newest first, and the patient's total record count.
     * @dev Cost is O(limit), independent of the history's length.
     */
    function recordsPage(
        bytes32 patientKey,
        uint256 beforeVersion,
        uint256 limit
    ) external view returns (RecordView[] memory page, uint256 total) {
        if (limit == 0 || limit > MAX_PAGE_SIZE) revert EmrRegistryInvalidPageSize(limit, MAX_PAGE_SIZE);
        bytes32[] storage history = _histories[patientKey];
        total = history.length;
        uint256 newest = beforeVersion == 0 || beforeVersion > total ? total : beforeVersion - 1;
        uint256 count = newest < limit ? newest : limit;
        page = new RecordView[](count);
        for (uint256 i; i < count; ++i) {
            bytes32 recordId = history[newest - 1 - i];
            page[i] = _toView(recordId, _records[recordId]);
        }
    }

    /// @notice The in-flight (stored, not yet committed) upload of `recordId` by `writer`.
    function pendingUpload(
        address writer,
        bytes32 recordId
    ) external view returns (uint256 chunkCount, uint256 contentLength, bytes32 chunksDigest) {
        PendingUpload storage pending = _pendingUploads[_uploadKey(writer, recordId)];
        return (pending.chunkCount, pending.contentLength, pending.chunksDigest);
    }

    // --------------------------------------------------------------- helpers

    function _uploadKey(address writer, bytes32 recordId) private pure returns (bytes32) {
        return keccak256(abi.encode(writer, recordId));
    }

    function _chunksDigest(address[] calldata chunks) private pure returns (bytes32 digest) {
        for (uint256 i; i < chunks.length; ++i) digest = keccak256(abi.encodePacked(digest, chunks[i]));
    }

    /// @dev Deploys each chunk and advances `pending` (count, length, digest) in memory.
    function _deployChunks(
        bytes32 recordId,
        PendingUpload memory pending,
        bytes[] calldata chunks
    ) private returns (address[] memory deployed) {
        deployed = new address[](chunks.length);
        for (uint256 i; i < chunks.length; ++i) {
            uint256 index = pending.chunkCount + i;
            bytes calldata data = chunks[i];
            if (data.length == 0) revert EmrRegistryEmptyChunk(index);
            if (data.length > MAX_CHUNK_BYTES) revert EmrRegistryChunkTooLarge(index, data.length, MAX_CHUNK_BYTES);
            address chunk = _createChunk(data);
            if (chunk == address(0)) revert EmrRegistryChunkDeployFailed(index);
            deployed[i] = chunk;
            pending.chunksDigest = keccak256(abi.encodePacked(pending.chunksDigest, chunk));
            pending.contentLength += uint64(data.length);
            emit ChunkStored(recordId, msg.sender, chunk, index, data.length);
        }
        pending.chunkCount += uint32(chunks.length);
    }

    /// @dev Runtime code of the new contract: 0x00 (STOP) || data.
    function _createChunk(bytes calldata data) private returns (address chunk) {
        bytes32 head = _initcodeHead(data.length + 1);
        // Why assembly: Solidity can only CREATE a contract type (`new C()`), not raw initcode. The
        // initcode is built past the free-memory pointer without advancing it, so every chunk of a
        // batch reuses the same memory and expansion (quadratic, Yellow Paper C_mem) is paid once.
        // `head` is the loader followed by zeros, so byte 10 is already the runtime's STOP.
        assembly ("memory-safe") {
            let initcode := mload(0x40)
            mstore(initcode, head)
            calldatacopy(add(initcode, CHUNK_INITCODE_HEAD_BYTES), data.offset, data.length)
            chunk := create(0, initcode, add(CHUNK_INITCODE_HEAD_BYTES, data.length))
        }
    }

    /// @dev Appends the record to its patient's history and announces it.
    function _appendRecord(
        RecordInput calldata record,
        address manifest,
        uint256 chunkCount
    ) private returns (uint256 version) {
        bytes32[] storage history = _histories[record.patientKey];
        history.push(record.recordId);
        version = history.length;
        _records[record.recordId] = StoredRecord({
            patientKey: record.patientKey,
            contentSha256: record.contentSha256,
            signerKeyId: record.signerKeyId,
            writer: msg.sender,
            createdAt: uint40(block.timestamp),
            blockNumber: uint56(block.number),
            manifest: manifest,
            contentLength: uint48(record.contentLength),
            version: uint32(version),
            chunkCount: uint16(chunkCount)
        });
        emit RecordStored(
            record.recordId,
            record.patientKey,
            msg.sender,
            version,
            manifest,
            record.contentLength,
            record.contentSha256
        );
    }

    function _deployManifest(RecordInput calldata record, address[] memory tail) private returns (address manifest) {
        bytes memory runtime = abi.encodePacked(
            bytes1(0x00),
            uint16(record.sealedHeader.length),
            uint16(record.keyEnvelope.length),
            uint16(record.signature.length),
            record.sealedHeader,
            record.keyEnvelope,
            record.signature,
            _packAddresses(record.chunks, tail)
        );
        // The u16 lengths above can only truncate when a field exceeds 65,535 bytes, which this check
        // rejects first (EIP-170 caps the whole manifest at 24,576 bytes).
        if (runtime.length > MAX_CODE_BYTES) {
            revert EmrRegistryManifestTooLarge(record.recordId, runtime.length, MAX_CODE_BYTES);
        }
        bytes memory initcode = abi.encodePacked(bytes10(_initcodeHead(runtime.length)), runtime);
        // Why assembly: CREATE from raw initcode has no Solidity syntax.
        assembly ("memory-safe") {
            manifest := create(0, add(initcode, 0x20), mload(initcode))
        }
        if (manifest == address(0)) revert EmrRegistryManifestDeployFailed(record.recordId);
    }

    /**
     * @dev Initcode loader that returns the bytes following it as the runtime code, left-aligned in
     *      a word (the remaining 22 bytes are zero):
     *        61 LLLL   PUSH2 L        runtime length (≤ 24,576 < 2^16)
     *        80        DUP1
     *        60 0a     PUSH1 10       runtime offset inside initcode = loader length
     *        5f        PUSH0          memory destination 0 (PUSH0: EIP-3855, Shanghai)
     *        39        CODECOPY       memory[0, L) = code[10, 10 + L)
     *        5f        PUSH0
     *        f3        RETURN         return memory[0, L) as the deployed code
     */
    function _initcodeHead(uint256 runtimeLength) private pure returns (bytes32) {
        return bytes32((uint256(0x61) << 248) | (runtimeLength << 232) | (uint256(0x80600a5f395ff3) << 176));
    }

    /// @dev `stored` then `tail`, 20 bytes per address (abi.encodePacked would pad each to 32).
    function _packAddresses(
        address[] calldata stored,
        address[] memory tail
    ) private pure returns (bytes memory packed) {
        uint256 count = stored.length + tail.length;
        packed = new bytes(count * 20 + ADDRESS_WORD_SLACK);
        for (uint256 i; i < count; ++i) {
            address chunk = i < stored.length ? stored[i] : tail[i - stored.length];
            // Why assembly: Solidity has no 20-byte store into `bytes`. The word write spills 12 zero
            // bytes into the next slot (overwritten next round, or into the slack after the last).
            assembly ("memory-safe") {
                mstore(add(add(packed, 0x20), mul(i, 20)), shl(96, chunk))
            }
        }
        // Why assembly: drop the slack from the length; the memory stays allocated.
        assembly ("memory-safe") {
            mstore(packed, mul(count, 20))
        }
    }

    function _toView(bytes32 recordId, StoredRecord storage stored) private view returns (RecordView memory v) {
        address manifest = stored.manifest;
        bytes6 lengths = bytes6(_codeSlice(manifest, 1, 6));
        uint256 headerLength = uint16(bytes2(lengths));
        uint256 envelopeLength = uint16(bytes2(lengths << 16));
        uint256 signatureLength = uint16(bytes2(lengths << 32));
        uint256 offset = MANIFEST_PREFIX_BYTES;

        v.recordId = recordId;
        v.patientKey = stored.patientKey;
        v.version = stored.version;
        v.contentSha256 = stored.contentSha256;
        v.contentLength = stored.contentLength;
        v.signerKeyId = stored.signerKeyId;
        v.writer = stored.writer;
        v.createdAt = stored.createdAt;
        v.blockNumber = stored.blockNumber;
        v.manifest = manifest;
        v.sealedHeader = _codeSlice(manifest, offset, headerLength);
        offset += headerLength;
        v.keyEnvelope = _codeSlice(manifest, offset, envelopeLength);
        offset += envelopeLength;
        v.signature = _codeSlice(manifest, offset, signatureLength);
        offset += signatureLength;
        v.chunks = _unpackAddresses(manifest, offset, stored.chunkCount);
    }

    function _unpackAddresses(
        address manifest,
        uint256 offset,
        uint256 count
    ) private view returns (address[] memory chunks) {
        // EXTCODECOPY pads past the end of code with zeros, so the slack is always defined.
        bytes memory packed = _codeSlice(manifest, offset, count * 20 + ADDRESS_WORD_SLACK);
        chunks = new address[](count);
        for (uint256 i; i < count; ++i) {
            address chunk;
            // Why assembly: Solidity has no 20-byte load from `bytes` memory.
            assembly ("memory-safe") {
                chunk := shr(96, mload(add(add(packed, 0x20), mul(i, 20))))
            }
            chunks[i] = chunk;
        }
    }

    /// @dev `length` bytes of `pointer`'s code from `offset`.
    function _codeSlice(address pointer, uint256 offset, uint256 length) private view returns (bytes memory out) {
        out = new bytes(length);
        // Why assembly: Solidity only offers `pointer.code` (the whole code); EXTCODECOPY copies just
        // the field wanted.
        assembly ("memory-safe") {
            extcodecopy(pointer, add(out, 0x20), offset, length)
        }
    }
}
