import { webcrypto } from 'node:crypto';

/**
 * The page's crypto module (src/interfaces/web/public/crypto/), loaded for the interop specs.
 * It is JavaScript typed by JSDoc and checked by src/interfaces/web/tsconfig.json; the service's
 * tsconfig.json reads no JavaScript (no allowJs), so a static import of it here would be untyped
 * (TS7016). This file names the signatures the interop specs call; each of them runs in those
 * specs, so a drift from the module fails there.
 */
type CryptoKey = webcrypto.CryptoKey;

export interface P256KeyPair {
  privateKey: CryptoKey;
  publicKey: Uint8Array;
}

export interface PatientKeyPairs {
  encryption: P256KeyPair;
  signing: P256KeyPair;
}

export type Chain = 'supchain' | 'medchain';

export interface SealedUpload {
  recordId: Uint8Array;
  sealedHeader: Uint8Array;
  keyEnvelope: Uint8Array;
  content: Uint8Array;
  signatures: Record<string, Uint8Array>;
}

export interface RecordHeaderJson {
  fileName: string;
  contentType: string;
  size: number;
  uploader: string;
  sha1?: string;
}

export interface ConsentFields {
  chainId: bigint | number;
  registry: string;
  action: 1 | 2 | 3;
  patientKey: Uint8Array;
  providerKey?: Uint8Array | null;
  expiresAt?: bigint | number;
  nonce: bigint | number;
  dataHash: Uint8Array;
}

/** An epoch key a reader holds (epochs.js). */
export interface EpochKey extends P256KeyPair {
  index: number;
}

export interface WebCryptoModule {
  /** v2 (written); v1 is DATA_KEY_HPKE_INFO_V1 (read only). */
  DATA_KEY_HPKE_INFO: Uint8Array;
  DATA_KEY_HPKE_INFO_V1: Uint8Array;
  utf8(text: string): Uint8Array;
  bytesToHex(bytes: Uint8Array): string;
  toBase64(bytes: Uint8Array): string;
  toHex0x(bytes: Uint8Array): string;
  keyIdOf(publicKey: Uint8Array): Promise<Uint8Array>;
  generateP256KeyPair(use: 'ECDH' | 'ECDSA', extractable?: boolean): Promise<P256KeyPair>;
  importP256PrivateKey(
    privateKey: Uint8Array,
    publicKey: Uint8Array,
    use: 'ECDH' | 'ECDSA',
    extractable?: boolean,
  ): Promise<CryptoKey>;
  exportP256PrivateKey(privateKey: CryptoKey): Promise<Uint8Array>;
  seal(
    recipientPublicKey: Uint8Array,
    info: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    options?: { ephemeral?: P256KeyPair },
  ): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }>;
  open(enc: Uint8Array, recipient: P256KeyPair, info: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array>;
  unwrapDataKey(envelope: Uint8Array, recipient: P256KeyPair, aad: Uint8Array): Promise<Uint8Array>;
  unwrapFromEnvelopes(
    envelopes: readonly Uint8Array[],
    recipient: P256KeyPair,
    aad: Uint8Array,
    openHeader?: (dataKey: Uint8Array) => Promise<unknown>,
  ): Promise<Uint8Array | null>;
  describeKeyEnvelope(envelope: Uint8Array): { version: 1 | 2; slots: number };
  sealDataKey(
    dataKey: Uint8Array,
    recipientPublicKeys: readonly Uint8Array[],
    aad: Uint8Array,
    options?: { ephemerals?: readonly P256KeyPair[] },
  ): Promise<Uint8Array>;
  openPart(dataKey: Uint8Array, part: Uint8Array, partIndex: number, aad: Uint8Array): Promise<Uint8Array>;
  sealPart(dataKey: Uint8Array, part: Uint8Array, partIndex: number, aad: Uint8Array): Promise<Uint8Array>;
  sealRecord(
    parts: readonly Uint8Array[],
    recipientPublicKeys: readonly Uint8Array[],
    aad: Uint8Array,
    options?: { dataKey?: Uint8Array; ephemerals?: readonly P256KeyPair[] },
  ): Promise<{ parts: Uint8Array[]; keyEnvelope: Uint8Array }>;
  signRecord(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array>;
  verifyRecordSignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  sha256(bytes: Uint8Array): Promise<Uint8Array>;
  recordAad(patientKey: Uint8Array, recordId: Uint8Array): Uint8Array;
  recordSigningPayload(fields: {
    chain: string;
    patientKey: Uint8Array;
    recordId: Uint8Array;
    contentSha256: Uint8Array;
    sealedHeader: Uint8Array;
    keyEnvelope: Uint8Array;
  }): Promise<Uint8Array>;
  encodeRecordHeader(header: RecordHeaderJson): Uint8Array;
  createPatientKeys(): Promise<{ keys: PatientKeyPairs; backup: Uint8Array; recoveryCode: string }>;
  registrationPayload(patientId: string, encryptionPublicKey: Uint8Array, signingPublicKey: Uint8Array): Uint8Array;
  registrationProof(
    signingPrivateKey: CryptoKey,
    patientId: string,
    encryptionPublicKey: Uint8Array,
    signingPublicKey: Uint8Array,
  ): Promise<Uint8Array>;
  buildSealedUpload(input: {
    bytes: Uint8Array;
    fileName: string;
    contentType: string;
    sha1Hex?: string;
    patientId: string;
    patientKey: Uint8Array;
    recordId?: Uint8Array;
    chains: readonly Chain[];
    recipients: readonly Uint8Array[];
    signingKey: CryptoKey;
    uploader?: string;
  }): Promise<SealedUpload>;
  CONSENT_DOMAIN: Uint8Array;
  consentMessage(fields: ConsentFields): Uint8Array;
  signConsent(
    signingPrivateKey: CryptoKey,
    fields: ConsentFields,
  ): Promise<{ message: Uint8Array; r: string; s: string }>;
  verifyConsentSignature(
    signingPublicKey: Uint8Array,
    fieldsOrMessage: ConsentFields | Uint8Array,
    r: string | Uint8Array,
    s: string | Uint8Array,
  ): Promise<boolean>;
  grantDataHash(slot: Uint8Array): Promise<Uint8Array>;
  revokeDataHash(newEpochPublicKey: Uint8Array, slots: readonly Uint8Array[]): Promise<Uint8Array>;
  replaceKeyDataHash(x: Uint8Array, y: Uint8Array): Promise<Uint8Array>;
  signingKeyCoordinates(signingPublicKey: Uint8Array): Promise<{ x: Uint8Array; y: Uint8Array }>;
  epochAad(patientKey: Uint8Array, index: number): Uint8Array;
  createEpoch(input: {
    patientKey: Uint8Array;
    index: number;
    recipientPublicKeys: readonly Uint8Array[];
    keepScalar?: boolean;
  }): Promise<{ publicKey: Uint8Array; slots: Uint8Array[]; privateScalar?: Uint8Array }>;
  openEpochSlot(input: {
    slot: Uint8Array;
    recipient: P256KeyPair;
    patientKey: Uint8Array;
    index: number;
    publicKey: Uint8Array;
  }): Promise<EpochKey & { scalar: Uint8Array }>;
  sealEpochSlot(input: {
    scalar: Uint8Array;
    recipientPublicKey: Uint8Array;
    patientKey: Uint8Array;
    index: number;
  }): Promise<Uint8Array>;
  resolveEpochKeys(input: {
    epochs: readonly { index: number; publicKey: Uint8Array; slots: readonly Uint8Array[] }[];
    recipient: P256KeyPair;
    patientKey: Uint8Array;
  }): Promise<EpochKey[]>;
  unwrapRecordWithEpochs(
    envelopes: readonly Uint8Array[],
    epochKeys: readonly EpochKey[],
    aad: Uint8Array,
    openHeader?: (dataKey: Uint8Array) => Promise<unknown>,
  ): Promise<Uint8Array | null>;
  openSealedRecord(
    sealed: unknown,
    keys: { encryption: P256KeyPair; signing?: { publicKey: Uint8Array } },
    options?: { trustedServiceKeys?: readonly Uint8Array[] },
  ): Promise<{ header: RecordHeaderJson; bytes: Uint8Array }>;
}

/** The specifier is a variable so tsc does not try to type the JavaScript module (see above). */
const MODULE_PATH = '../../../src/interfaces/web/public/crypto/index.js';

export async function loadWebCrypto(): Promise<WebCryptoModule> {
  return (await import(MODULE_PATH)) as WebCryptoModule;
}
