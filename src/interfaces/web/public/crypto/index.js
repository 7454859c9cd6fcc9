// @ts-check
/**
 * The client-side crypto module in one import, for the page (served at /crypto/index.js) and for
 * Node patient API clients and tests. What each export does: README.md beside this file.
 */
export {
  bytesEqual,
  bytesToHex,
  concatBytes,
  fromBase64,
  fromHex0x,
  hexToBytes,
  toBase64,
  toHex0x,
  utf8,
  WebCryptoError,
} from './bytes.js';
export {
  exportP256PrivateKey,
  exportP256PublicKey,
  generateP256KeyPair,
  importP256PrivateKey,
  importP256PublicKey,
} from './p256.js';
export { keySchedule, open, seal, setupBaseR, setupBaseS } from './hpke.js';
export {
  DATA_KEY_HPKE_INFO,
  DATA_KEY_HPKE_INFO_V1,
  decodeKeyEnvelope,
  describeKeyEnvelope,
  encodeKeyEnvelope,
  findKeyEnvelopeSlot,
  keyIdOf,
  sealDataKey,
  unwrapDataKey,
  unwrapFromEnvelopes,
} from './key-envelope.js';
export { generateDataKey, openPart, sealPart, sealRecord } from './content.js';
export { assertRecordSignature, signRecord, verifyRecordSignature } from './ecdsa.js';
export { recordAad, recordSigningPayload, sha256 } from './record-payload.js';
export { generateRecoveryCode, normaliseRecoveryCode, unwrapKeyBackup, wrapKeyBackup } from './recovery.js';
export { createPatientKeys, openKeyStore, registrationPayload, registrationProof } from './patient-keys.js';
export {
  CONSENT_ACTION,
  CONSENT_DOMAIN,
  consentMessage,
  decodeConsentMessage,
  grantDataHash,
  replaceKeyDataHash,
  revokeDataHash,
  signConsent,
  signingKeyCoordinates,
  verifyConsentSignature,
} from './consent.js';
export {
  createEpoch,
  epochAad,
  openEpochSlot,
  resolveEpochKeys,
  sealEpochSlot,
  unwrapRecordWithEpochs,
} from './epochs.js';
export {
  buildSealedUpload,
  decodeRecordHeader,
  encodeRecordHeader,
  openSealedHeader,
  openSealedRecord,
} from './sealed-record.js';
