import { bytesEqual, concatBytes, utf8 } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { RandomSource } from '../../domain/ports/random.port';
import {
  AES256_KEY_BYTES,
  GCM_NONCE_BYTES,
  P256_ECDH_BYTES,
  P256_PRIVATE_KEY_BYTES,
  P256_PUBLIC_KEY_BYTES,
  SHA256_BYTES,
} from './crypto.constants';
import { HpkePrimitives } from './hpke.primitives';
import { i2osp } from './integer-encoding';

/** RFC 9180 §7.1 DHKEM(P-256, HKDF-SHA256). */
export const HPKE_KEM_ID = 0x0010;
/** RFC 9180 §7.2 HKDF-SHA256. */
export const HPKE_KDF_ID = 0x0001;
/** RFC 9180 §7.3 AES-256-GCM. */
export const HPKE_AEAD_ID = 0x0002;
/** RFC 9180 §5 mode_base: no PSK, no sender authentication. */
export const HPKE_MODE_BASE = 0x00;

/** Width of the KEM/KDF/AEAD ids and of LabeledExpand's L prefix (RFC 9180 §4). */
const ID_BYTES = 2;
const MODE_BYTES = 1;
/** Width of the DeriveKeyPair counter (RFC 9180 §7.1.3). */
const COUNTER_BYTES = 1;
const MAX_DERIVE_KEY_PAIR_COUNTER = 255;
/** RFC 9180 §7.1.3: P-256 masks nothing off the first candidate byte. */
const P256_DERIVE_KEY_PAIR_BITMASK = 0xff;
/** Nsecret for DHKEM(P-256, HKDF-SHA256). */
const KEM_SHARED_SECRET_BYTES = 32;
/** RFC 9180 §4.1 kem_context = enc || pkRm, two Npk-byte points. */
const KEM_CONTEXT_BYTES = 2 * P256_PUBLIC_KEY_BYTES;
/** RFC 5869 §2.3: HKDF-Expand yields at most 255 blocks of HashLen. */
const HKDF_MAX_OUTPUT_BYTES = 255 * SHA256_BYTES;
/** RFC 5869 §2.3: the block counter is one octet. */
const HKDF_COUNTER_BYTES = 1;

const HPKE_VERSION_LABEL = utf8('HPKE-v1');
/** RFC 9180 §4.1: suite_id = "KEM" || I2OSP(kem_id, 2), used inside the KEM. */
const KEM_SUITE_ID = concatBytes(utf8('KEM'), i2osp(HPKE_KEM_ID, ID_BYTES));
/** RFC 9180 §5.1: suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2). */
const HPKE_SUITE_ID = concatBytes(
  utf8('HPKE'),
  i2osp(HPKE_KEM_ID, ID_BYTES),
  i2osp(HPKE_KDF_ID, ID_BYTES),
  i2osp(HPKE_AEAD_ID, ID_BYTES),
);
const EMPTY = new Uint8Array(0);
/** RFC 5869 §2.3: the counter octet of T(1), the only block when L <= Nh. */
const HKDF_FIRST_BLOCK = new Uint8Array([1]);

/**
 * RFC 9180 §4: LabeledExtract hashes "HPKE-v1" || suite_id || label || ikm. The part before
 * ikm is the same on every call, so it is encoded once per label.
 */
interface ExtractLabel {
  readonly head: Uint8Array;
}

/**
 * RFC 9180 §4: LabeledExpand's info is I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info.
 * The part before info is fixed once L is, so each label is encoded once with its length.
 */
interface ExpandLabel {
  readonly head: Uint8Array;
  readonly length: number;
}

function extractLabel(suiteId: Uint8Array, label: string): ExtractLabel {
  return { head: concatBytes(HPKE_VERSION_LABEL, suiteId, utf8(label)) };
}

function expandLabel(suiteId: Uint8Array, label: string, length: number): ExpandLabel {
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_OUTPUT_BYTES) {
    throw new RangeError(`HKDF-Expand output must be 0..${HKDF_MAX_OUTPUT_BYTES} bytes`);
  }
  return { head: concatBytes(i2osp(length, ID_BYTES), HPKE_VERSION_LABEL, suiteId, utf8(label)), length };
}

/** Every label RFC 9180 base mode uses with this suite, except "sec", whose L the caller picks. */
const DKP_PRK = extractLabel(KEM_SUITE_ID, 'dkp_prk');
const CANDIDATE = expandLabel(KEM_SUITE_ID, 'candidate', P256_PRIVATE_KEY_BYTES);
const EAE_PRK = extractLabel(KEM_SUITE_ID, 'eae_prk');
const SHARED_SECRET = expandLabel(KEM_SUITE_ID, 'shared_secret', KEM_SHARED_SECRET_BYTES);
const PSK_ID_HASH = extractLabel(HPKE_SUITE_ID, 'psk_id_hash');
const INFO_HASH = extractLabel(HPKE_SUITE_ID, 'info_hash');
const SECRET = extractLabel(HPKE_SUITE_ID, 'secret');
const KEY = expandLabel(HPKE_SUITE_ID, 'key', AES256_KEY_BYTES);
const BASE_NONCE = expandLabel(HPKE_SUITE_ID, 'base_nonce', GCM_NONCE_BYTES);
const EXP = expandLabel(HPKE_SUITE_ID, 'exp', SHA256_BYTES);

/**
 * mode_base fixes psk = psk_id = "" (RFC 9180 §5.1), so the input of
 * LabeledExtract(shared_secret, "secret", psk) is the label head alone.
 */
const SECRET_INPUT = SECRET.head;
/** The DeriveKeyPair counter (§7.1.3) is 0 for all but about one key in 2^32. */
const FIRST_CANDIDATE_INPUT = singleBlockExpandInput(CANDIDATE, i2osp(0, COUNTER_BYTES));

/** HKDF-Expand's input for T(1) when L <= Nh: labeled info || 0x01 (RFC 5869 §2.3). */
function singleBlockExpandInput(label: ExpandLabel, info: Uint8Array): Uint8Array {
  if (label.length > SHA256_BYTES) throw new RangeError('The label needs more than one HKDF block');
  return concatBytes(label.head, info, HKDF_FIRST_BLOCK);
}

/**
 * What KeySchedule needs from `info` (RFC 9180 §5.1): key_schedule_context = mode || psk_id_hash
 * || info_hash, and from it the whole HKDF-Expand inputs of "key" and "base_nonce". In mode_base
 * all of it depends on `info` alone.
 */
interface InfoSchedule {
  readonly info: Uint8Array;
  readonly context: Uint8Array;
  readonly keyInput: Uint8Array;
  readonly baseNonceInput: Uint8Array;
}

/** The outputs of RFC 9180 §5.1 KeySchedule, exposed so known-answer tests can check each one. */
export interface HpkeKeySchedule {
  readonly keyScheduleContext: Uint8Array;
  readonly secret: Uint8Array;
  readonly key: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly exporterSecret: Uint8Array;
}

export interface HpkeEncapsulation {
  readonly sharedSecret: Uint8Array;
  /** SerializePublicKey(pkE): 65-byte SEC 1 uncompressed point. */
  readonly enc: Uint8Array;
}

export interface HpkeSealed {
  readonly enc: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/**
 * RFC 9180 HPKE, base mode, for the single suite DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 /
 * AES-256-GCM, written once over {@link HpkePrimitives}. Every ECDH output passes through
 * ExtractAndExpand before it is used as key material (§4.1).
 *
 * Randomness enters only through `random` (GenerateKeyPair), or not at all when the caller
 * pins the ephemeral private key, so the RFC's test vectors reproduce byte for byte.
 *
 * Single-shot sealBase and openBase are the hot path (one per record and recipient): they run
 * the same RFC steps as setupBaseS/R + Seal/Open, minus the context object and the exporter
 * secret, which a single message never uses.
 */
export class HpkeP256Suite {
  private lastInfoSchedule: InfoSchedule | null = null;
  /**
   * The Expand input of shared_secret (see extractAndExpand), rebuilt in place on every call.
   * head || enc || pkRm || 0x01 is 158 bytes: past the 64 bytes V8 allocates on its own heap, a
   * fresh array costs an off-heap allocation (~1 µs). It holds only public values, so a
   * long-lived buffer keeps nothing secret.
   */
  private readonly sharedSecretInput = concatBytes(
    SHARED_SECRET.head,
    new Uint8Array(KEM_CONTEXT_BYTES),
    HKDF_FIRST_BLOCK,
  );

  constructor(
    private readonly primitives: HpkePrimitives,
    private readonly random: RandomSource,
  ) {}

  /** RFC 9180 §7.1.3 DeriveKeyPair for P-256: rejection sampling over HKDF output. */
  deriveKeyPair(ikm: Uint8Array): KeyPair {
    const privateKey = this.derivePrivateKey(ikm);
    return { privateKey, publicKey: this.primitives.p256PublicKey(privateKey) };
  }

  /** RFC 9180 §4: GenerateKeyPair as DeriveKeyPair over Nsk fresh random bytes. */
  generateKeyPair(): KeyPair {
    return this.deriveKeyPair(this.random.bytes(P256_PRIVATE_KEY_BYTES));
  }

  /** The sk half of DeriveKeyPair (§7.1.3); Encap gets pk(skE) from the same call as the DH. */
  private derivePrivateKey(ikm: Uint8Array): Uint8Array {
    const dkpPrk = this.labeledExtract(EMPTY, DKP_PRK, ikm);
    for (let counter = 0; counter <= MAX_DERIVE_KEY_PAIR_COUNTER; counter++) {
      const input =
        counter === 0 ? FIRST_CANDIDATE_INPUT : singleBlockExpandInput(CANDIDATE, i2osp(counter, COUNTER_BYTES));
      const candidate = this.expandOneBlock(dkpPrk, CANDIDATE, input);
      candidate[0] &= P256_DERIVE_KEY_PAIR_BITMASK;
      // The RFC loops while sk == 0 or sk >= n; p256IsValidPrivateKey is exactly 1 <= sk < n.
      if (this.primitives.p256IsValidPrivateKey(candidate)) return candidate;
    }
    // RFC 9180 §7.1.3 DeriveKeyPairError; each candidate fails with probability < 2^-32.
    throw new InvalidKeyError('DeriveKeyPair found no valid P-256 scalar.');
  }

  /** RFC 9180 §7.1.1: SEC 1 uncompressed encoding; InvalidKeyError for anything else. */
  serializePublicKey(publicKey: Uint8Array): Uint8Array {
    this.primitives.p256ValidatePublicKey(publicKey);
    return publicKey.slice();
  }

  /** RFC 9180 §7.1.1, with the public key validation §7.1.4 requires. */
  deserializePublicKey(enc: Uint8Array): Uint8Array {
    this.primitives.p256ValidatePublicKey(enc);
    return enc.slice();
  }

  /**
   * RFC 9180 §4.1 Encap. `ephemeralPrivateKey` pins skE for known-answer tests; production
   * callers leave it out and get GenerateKeyPair().
   */
  encap(recipientPublicKey: Uint8Array, ephemeralPrivateKey?: Uint8Array): HpkeEncapsulation {
    // DeserializePublicKey(pkR) with the §7.1.4 validation. The key is only read during this
    // synchronous call, so it needs no defensive copy.
    this.primitives.p256ValidatePublicKey(recipientPublicKey);
    // (skE, pkE) = GenerateKeyPair() = DeriveKeyPair(random(Nsk)), with pkE computed in the same
    // call as the DH: one scalar multiplication fewer than DeriveKeyPair followed by DH.
    const skE = ephemeralPrivateKey ?? this.derivePrivateKey(this.random.bytes(P256_PRIVATE_KEY_BYTES));
    const { dh, publicKey: enc } = this.primitives.p256EcdhWithPublicKey(skE, recipientPublicKey);
    // enc = SerializePublicKey(pkE): the primitive already returns the SEC 1 encoding of a point it computed.
    return { sharedSecret: this.extractAndExpand(dh, enc, recipientPublicKey), enc };
  }

  /**
   * RFC 9180 §4.1 Decap. InvalidKeyError when `enc` is not a valid P-256 point.
   *
   * `recipientPublicKey`: pk(skR), when the caller holds the key pair (the cipher does), which
   * spares encoding it again. It is not checked against skR: a wrong one changes kem_context,
   * so the shared secret differs from the sender's and Open fails.
   */
  decap(enc: Uint8Array, recipientPrivateKey: Uint8Array, recipientPublicKey?: Uint8Array): Uint8Array {
    // DeserializePublicKey(enc) and the validation §7.1.4 requires happen inside the ECDH,
    // which refuses (InvalidKeyError) an enc that is not a point on P-256 before using it.
    if (recipientPublicKey !== undefined) {
      const dh = this.primitives.p256Ecdh(recipientPrivateKey, enc);
      return this.extractAndExpand(dh, enc, recipientPublicKey);
    }
    const { dh, publicKey: pkRm } = this.primitives.p256EcdhWithPublicKey(recipientPrivateKey, enc);
    return this.extractAndExpand(dh, enc, pkRm);
  }

  /** RFC 9180 §5.1 KeySchedule in mode_base (psk = psk_id = ""); KeyScheduleS and KeyScheduleR coincide. */
  keySchedule(sharedSecret: Uint8Array, info: Uint8Array): HpkeKeySchedule {
    const schedule = this.infoSchedule(info);
    const secret = this.primitives.hmacSha256(sharedSecret, SECRET_INPUT);
    return new ContextKeySchedule(
      schedule.context.slice(),
      secret,
      this.expandOneBlock(secret, KEY, schedule.keyInput),
      this.expandOneBlock(secret, BASE_NONCE, schedule.baseNonceInput),
      // A context that never exports (single messages never do) never derives exporter_secret.
      () => this.labeledExpand(secret, EXP, schedule.context),
    );
  }

  /** RFC 9180 §5.1.1 SetupBaseS. */
  setupBaseS(
    recipientPublicKey: Uint8Array,
    info: Uint8Array,
    ephemeralPrivateKey?: Uint8Array,
  ): { enc: Uint8Array; context: HpkeSenderContext } {
    const { sharedSecret, enc } = this.encap(recipientPublicKey, ephemeralPrivateKey);
    return { enc, context: new HpkeSenderContext(this, this.primitives, this.keySchedule(sharedSecret, info)) };
  }

  /** RFC 9180 §5.1.1 SetupBaseR; `recipientPublicKey` as for decap. */
  setupBaseR(
    enc: Uint8Array,
    recipientPrivateKey: Uint8Array,
    info: Uint8Array,
    recipientPublicKey?: Uint8Array,
  ): HpkeRecipientContext {
    const sharedSecret = this.decap(enc, recipientPrivateKey, recipientPublicKey);
    return new HpkeRecipientContext(this, this.primitives, this.keySchedule(sharedSecret, info));
  }

  /** RFC 9180 §6.1 single-shot SealBase: SetupBaseS, then Seal with sequence number 0. */
  sealBase(
    recipientPublicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    ephemeralPrivateKey?: Uint8Array,
  ): HpkeSealed {
    const { sharedSecret, enc } = this.encap(recipientPublicKey, ephemeralPrivateKey);
    const { key, nonce } = this.firstMessageKey(sharedSecret, info);
    return { enc, ciphertext: this.primitives.aes256GcmSeal(key, nonce, aad, plaintext) };
  }

  /**
   * RFC 9180 §6.1 single-shot OpenBase: SetupBaseR, then Open with sequence number 0;
   * `recipientPublicKey` as for decap.
   */
  openBase(
    enc: Uint8Array,
    recipientPrivateKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    recipientPublicKey?: Uint8Array,
  ): Uint8Array {
    const sharedSecret = this.decap(enc, recipientPrivateKey, recipientPublicKey);
    const { key, nonce } = this.firstMessageKey(sharedSecret, info);
    return this.primitives.aes256GcmOpen(key, nonce, aad, ciphertext);
  }

  /** RFC 9180 §5.3 Context.Export. */
  exportSecret(exporterSecret: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
    return this.labeledExpand(exporterSecret, expandLabel(HPKE_SUITE_ID, 'sec', length), exporterContext);
  }

  /**
   * The key schedule (§5.1) of a context that seals or opens one message: key, and the nonce of
   * sequence number 0, which is base_nonce itself (ComputeNonce XORs in I2OSP(0, Nn), §5.2).
   */
  private firstMessageKey(sharedSecret: Uint8Array, info: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
    const schedule = this.infoSchedule(info);
    const secret = this.primitives.hmacSha256(sharedSecret, SECRET_INPUT);
    const key = this.expandOneBlock(secret, KEY, schedule.keyInput);
    const nonce = this.expandOneBlock(secret, BASE_NONCE, schedule.baseNonceInput);
    return { key, nonce };
  }

  /**
   * key_schedule_context = mode || psk_id_hash || info_hash, and the Expand inputs built on it.
   * In mode_base they depend on `info` alone, and the service seals every data key under the
   * same info, so the last one is kept: two HMACs and three encodings fewer per seal and per
   * open. The arrays are shared: read them, never write them.
   */
  private infoSchedule(info: Uint8Array): InfoSchedule {
    const last = this.lastInfoSchedule;
    if (last !== null && bytesEqual(last.info, info)) return last;
    const pskIdHash = this.labeledExtract(EMPTY, PSK_ID_HASH, EMPTY);
    const infoHash = this.labeledExtract(EMPTY, INFO_HASH, info);
    const context = concatBytes(i2osp(HPKE_MODE_BASE, MODE_BYTES), pskIdHash, infoHash);
    const schedule: InfoSchedule = {
      info: info.slice(),
      context,
      keyInput: singleBlockExpandInput(KEY, context),
      baseNonceInput: singleBlockExpandInput(BASE_NONCE, context),
    };
    this.lastInfoSchedule = schedule;
    return schedule;
  }

  /**
   * RFC 9180 §4.1 ExtractAndExpand with kem_context = enc || pkRm: the only path from a DH
   * output to key material.
   */
  private extractAndExpand(dh: Uint8Array, enc: Uint8Array, recipientPublicKey: Uint8Array): Uint8Array {
    if (dh.length !== P256_ECDH_BYTES) throw new RangeError('ECDH output has the wrong length');
    // Both keys passed validation as 65-byte points before any ECDH could return.
    if (enc.length !== P256_PUBLIC_KEY_BYTES || recipientPublicKey.length !== P256_PUBLIC_KEY_BYTES) {
      throw new RangeError('kem_context must be two SEC 1 uncompressed points');
    }
    const eaePrk = this.labeledExtract(EMPTY, EAE_PRK, dh);
    // Single-block Expand input: head || kem_context || 0x01, kem_context = enc || pkRm.
    const input = this.sharedSecretInput;
    const contextStart = SHARED_SECRET.head.length;
    input.set(enc, contextStart);
    input.set(recipientPublicKey, contextStart + P256_PUBLIC_KEY_BYTES);
    return this.expandOneBlock(eaePrk, SHARED_SECRET, input);
  }

  /**
   * RFC 5869 §2.3 Expand when L <= Nh: T(1) = HMAC(PRK, info || 0x01), truncated to L. `input`
   * is that whole HMAC input, built by singleBlockExpandInput for this same label.
   */
  private expandOneBlock(prk: Uint8Array, label: ExpandLabel, input: Uint8Array): Uint8Array {
    const block = this.primitives.hmacSha256(prk, input);
    return label.length === SHA256_BYTES ? block : block.slice(0, label.length);
  }

  /** RFC 9180 §4: LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm). */
  private labeledExtract(salt: Uint8Array, label: ExtractLabel, ikm: Uint8Array): Uint8Array {
    // RFC 5869 §2.2 Extract is HMAC-Hash(salt, IKM).
    return this.primitives.hmacSha256(salt, concatBytes(label.head, ikm));
  }

  /** RFC 9180 §4: LabeledExpand = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L). */
  private labeledExpand(prk: Uint8Array, label: ExpandLabel, info: Uint8Array): Uint8Array {
    return this.hkdfExpand(prk, concatBytes(label.head, info), label.length);
  }

  /** RFC 5869 §2.3: T(i) = HMAC(PRK, T(i-1) || info || i), output = first L octets of T(1) || T(2) || ... */
  private hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_MAX_OUTPUT_BYTES) {
      throw new RangeError(`HKDF-Expand output must be 0..${HKDF_MAX_OUTPUT_BYTES} bytes`);
    }
    const out = new Uint8Array(length);
    let block: Uint8Array = EMPTY;
    for (let offset = 0, counter = 1; offset < length; offset += SHA256_BYTES, counter++) {
      block = this.primitives.hmacSha256(prk, concatBytes(block, info, i2osp(counter, HKDF_COUNTER_BYTES)));
      out.set(block.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset);
    }
    return out;
  }
}

/**
 * KeySchedule's outputs with exporter_secret derived on first read. A class rather than an
 * object literal with a getter: V8 builds such literals on a slow path, several µs each.
 */
class ContextKeySchedule implements HpkeKeySchedule {
  private derivedExporterSecret: Uint8Array | null = null;

  constructor(
    readonly keyScheduleContext: Uint8Array,
    readonly secret: Uint8Array,
    readonly key: Uint8Array,
    readonly baseNonce: Uint8Array,
    private readonly deriveExporterSecret: () => Uint8Array,
  ) {}

  get exporterSecret(): Uint8Array {
    this.derivedExporterSecret ??= this.deriveExporterSecret();
    return this.derivedExporterSecret;
  }
}

/** RFC 9180 §5.2 encryption context: the sequence number lives here and only moves forward. */
abstract class HpkeContext {
  private seq = 0;

  constructor(
    private readonly suite: HpkeP256Suite,
    protected readonly primitives: HpkePrimitives,
    readonly keySchedule: HpkeKeySchedule,
  ) {}

  get sequenceNumber(): number {
    return this.seq;
  }

  /** RFC 9180 §5.2 ComputeNonce: base_nonce XOR I2OSP(seq, Nn). */
  computeNonce(seq: number): Uint8Array {
    const seqBytes = i2osp(seq, GCM_NONCE_BYTES);
    const nonce = this.keySchedule.baseNonce.slice();
    for (let i = 0; i < GCM_NONCE_BYTES; i++) nonce[i] ^= seqBytes[i];
    return nonce;
  }

  /** RFC 9180 §5.3 Context.Export. */
  export(exporterContext: Uint8Array, length: number): Uint8Array {
    return this.suite.exportSecret(this.keySchedule.exporterSecret, exporterContext, length);
  }

  protected currentNonce(): Uint8Array {
    return this.computeNonce(this.seq);
  }

  /**
   * RFC 9180 §5.2 IncrementSeq. The RFC's limit is 2^96 - 1; a JavaScript number stops
   * at 2^53 - 1 first, and nothing here comes close to either.
   */
  protected incrementSeq(): void {
    if (this.seq >= Number.MAX_SAFE_INTEGER) throw new RangeError('HPKE message limit reached');
    this.seq += 1;
  }
}

export class HpkeSenderContext extends HpkeContext {
  /** RFC 9180 §5.2 ContextS.Seal: ciphertext || tag (GCM_TAG_BYTES). */
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.primitives.aes256GcmSeal(this.keySchedule.key, this.currentNonce(), aad, plaintext);
    this.incrementSeq();
    return ciphertext;
  }
}

export class HpkeRecipientContext extends HpkeContext {
  /** RFC 9180 §5.2 ContextR.Open: DecryptionFailedError leaves the sequence number unchanged. */
  open(aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.primitives.aes256GcmOpen(this.keySchedule.key, this.currentNonce(), aad, ciphertext);
    this.incrementSeq();
    return plaintext;
  }
}
