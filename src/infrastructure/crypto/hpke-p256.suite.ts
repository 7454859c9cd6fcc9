import { bytesEqual, concatBytes, utf8 } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { KeyPair } from '../../domain/ports/cipher.port';
import { RandomSource } from '../../domain/ports/random.port';
import {
  AES256_KEY_BYTES,
  GCM_NONCE_BYTES,
  P256_ECDH_BYTES,
  P256_PRIVATE_KEY_BYTES,
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

/** The RFC's labels as octets, encoded once: they are the same few strings on every call. */
const LABEL_BYTES = new Map<string, Uint8Array>();

function labelBytes(label: string): Uint8Array {
  let bytes = LABEL_BYTES.get(label);
  if (bytes === undefined) {
    bytes = utf8(label);
    LABEL_BYTES.set(label, bytes);
  }
  return bytes;
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
 */
export class HpkeP256Suite {
  private lastKeyScheduleContext: { readonly info: Uint8Array; readonly context: Uint8Array } | null = null;

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
    const dkpPrk = this.labeledExtract(KEM_SUITE_ID, EMPTY, 'dkp_prk', ikm);
    for (let counter = 0; counter <= MAX_DERIVE_KEY_PAIR_COUNTER; counter++) {
      const candidate = this.labeledExpand(
        KEM_SUITE_ID,
        dkpPrk,
        'candidate',
        i2osp(counter, COUNTER_BYTES),
        P256_PRIVATE_KEY_BYTES,
      );
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
    const pkR = this.deserializePublicKey(recipientPublicKey);
    // (skE, pkE) = GenerateKeyPair() = DeriveKeyPair(random(Nsk)), with pkE computed in the same
    // call as the DH: one scalar multiplication fewer than DeriveKeyPair followed by DH.
    const skE = ephemeralPrivateKey ?? this.derivePrivateKey(this.random.bytes(P256_PRIVATE_KEY_BYTES));
    const { dh, publicKey: enc } = this.primitives.p256EcdhWithPublicKey(skE, pkR);
    // enc = SerializePublicKey(pkE): the primitive already returns the SEC 1 encoding of a point it computed.
    const kemContext = concatBytes(enc, pkR);
    return { sharedSecret: this.extractAndExpand(dh, kemContext), enc };
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
      return this.extractAndExpand(dh, concatBytes(enc, recipientPublicKey));
    }
    const { dh, publicKey: pkRm } = this.primitives.p256EcdhWithPublicKey(recipientPrivateKey, enc);
    return this.extractAndExpand(dh, concatBytes(enc, pkRm));
  }

  /** RFC 9180 §5.1 KeySchedule in mode_base (psk = psk_id = ""); KeyScheduleS and KeyScheduleR coincide. */
  keySchedule(sharedSecret: Uint8Array, info: Uint8Array): HpkeKeySchedule {
    const keyScheduleContext = this.keyScheduleContext(info);
    const secret = this.labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', EMPTY);
    // Single-shot seal and open never export: exporter_secret is derived on first use.
    const deriveExporterSecret = (): Uint8Array =>
      this.labeledExpand(HPKE_SUITE_ID, secret, 'exp', keyScheduleContext, SHA256_BYTES);
    let exporterSecret: Uint8Array | null = null;
    return {
      keyScheduleContext: keyScheduleContext.slice(),
      secret,
      key: this.labeledExpand(HPKE_SUITE_ID, secret, 'key', keyScheduleContext, AES256_KEY_BYTES),
      baseNonce: this.labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', keyScheduleContext, GCM_NONCE_BYTES),
      get exporterSecret(): Uint8Array {
        exporterSecret ??= deriveExporterSecret();
        return exporterSecret;
      },
    };
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

  /** RFC 9180 §6.1 single-shot SealBase. */
  sealBase(
    recipientPublicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    ephemeralPrivateKey?: Uint8Array,
  ): HpkeSealed {
    const { enc, context } = this.setupBaseS(recipientPublicKey, info, ephemeralPrivateKey);
    return { enc, ciphertext: context.seal(aad, plaintext) };
  }

  /** RFC 9180 §6.1 single-shot OpenBase; `recipientPublicKey` as for decap. */
  openBase(
    enc: Uint8Array,
    recipientPrivateKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    recipientPublicKey?: Uint8Array,
  ): Uint8Array {
    return this.setupBaseR(enc, recipientPrivateKey, info, recipientPublicKey).open(aad, ciphertext);
  }

  /**
   * key_schedule_context = mode || psk_id_hash || info_hash. In mode_base it depends on `info`
   * alone, and the service seals every data key under the same info, so the last one is kept:
   * two HMACs fewer per seal and per open. The array is shared: read it, never write it.
   */
  private keyScheduleContext(info: Uint8Array): Uint8Array {
    const last = this.lastKeyScheduleContext;
    if (last !== null && bytesEqual(last.info, info)) return last.context;
    const pskIdHash = this.labeledExtract(HPKE_SUITE_ID, EMPTY, 'psk_id_hash', EMPTY);
    const infoHash = this.labeledExtract(HPKE_SUITE_ID, EMPTY, 'info_hash', info);
    const context = concatBytes(i2osp(HPKE_MODE_BASE, MODE_BYTES), pskIdHash, infoHash);
    this.lastKeyScheduleContext = { info: info.slice(), context };
    return context;
  }

  /** RFC 9180 §5.3 Context.Export. */
  exportSecret(exporterSecret: Uint8Array, exporterContext: Uint8Array, length: number): Uint8Array {
    return this.labeledExpand(HPKE_SUITE_ID, exporterSecret, 'sec', exporterContext, length);
  }

  /** RFC 9180 §4.1 ExtractAndExpand: the only path from a DH output to key material. */
  private extractAndExpand(dh: Uint8Array, kemContext: Uint8Array): Uint8Array {
    if (dh.length !== P256_ECDH_BYTES) throw new RangeError('ECDH output has the wrong length');
    const eaePrk = this.labeledExtract(KEM_SUITE_ID, EMPTY, 'eae_prk', dh);
    return this.labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, KEM_SHARED_SECRET_BYTES);
  }

  /** RFC 9180 §4: LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm). */
  private labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: string, ikm: Uint8Array): Uint8Array {
    // RFC 5869 §2.2 Extract is HMAC-Hash(salt, IKM).
    return this.primitives.hmacSha256(salt, concatBytes(HPKE_VERSION_LABEL, suiteId, labelBytes(label), ikm));
  }

  /** RFC 9180 §4: LabeledExpand = Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L). */
  private labeledExpand(
    suiteId: Uint8Array,
    prk: Uint8Array,
    label: string,
    info: Uint8Array,
    length: number,
  ): Uint8Array {
    const labeledInfo = concatBytes(i2osp(length, ID_BYTES), HPKE_VERSION_LABEL, suiteId, labelBytes(label), info);
    return this.hkdfExpand(prk, labeledInfo, length);
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
