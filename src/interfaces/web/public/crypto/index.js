// @ts-check
/**
 * The client-side crypto module in one import, for the page (served at /crypto/index.js) and for
 * Node patient API clients and tests. What each export does: README.md beside this file.
 */
export { bytesEqual, bytesToHex, concatBytes, hexToBytes, utf8, WebCryptoError } from './bytes.js';
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
  decodeKeyEnvelope,
  encodeKeyEnvelope,
  findKeyEnvelopeSlot,
  keyIdOf,
  sealDataKey,
  unwrapDataKey,
} from './key-envelope.js';
export { generateDataKey, openPart, sealPart, sealRecord } from './content.js';
export { assertRecordSignature, signRecord, verifyRecordSignature } from './ecdsa.js';
