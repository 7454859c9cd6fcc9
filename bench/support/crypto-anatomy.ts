import { createECDH, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';
import { DATA_KEY_HPKE_INFO, HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { HpkeP256Suite } from '../../src/infrastructure/crypto/hpke-p256.suite';
import { HpkePrimitives } from '../../src/infrastructure/crypto/hpke.primitives';
import { NodeCryptoHpkePrimitives } from '../../src/infrastructure/crypto/node-crypto.primitives';
import { NodeRandomSource } from '../../src/infrastructure/crypto/node-crypto.random';
import { BenchContext } from './context';
import { AAD_BYTES, AES256_KEY_BYTES, GCM_NONCE_BYTES } from './crypto-implementations';
import { measureInterleaved, Operation } from './measure';
import { KIB, num, Table } from './report';

const OPENSSL_P256 = 'prime256v1';
/** The step names below say 1 KiB: the size of section 1's seal + open target. */
const ANATOMY_PLAINTEXT_BYTES = KIB;

interface Step {
  readonly name: string;
  /** Which whole operation this step is a part of; 'both' for KeySchedule, which each side runs once. */
  readonly side: 'seal' | 'open' | 'both' | 'whole';
  /** A breakdown of the step above it (not added into the remainder). */
  readonly detail?: boolean;
  readonly op: Operation;
}

/**
 * A profile of one seal + open at 1 KiB on the node:crypto backend: each RFC 9180 step timed on
 * its own through the suite's and the primitives' public methods, beside the whole operation, so
 * a missed target names the step that costs. The remainder is what no step covers: envelope
 * encoding, copies, promise turns, garbage collection.
 */
export async function anatomyOfSealOpen(context: BenchContext): Promise<{ table: Table; data: unknown }> {
  const primitives = new NodeCryptoHpkePrimitives();
  const suite = new HpkeP256Suite(primitives, new NodeRandomSource());
  const random = new NodeRandomSource();
  const cipher = new HpkeP256Cipher(primitives);
  const recipient = await cipher.generateKeyPair();
  const ephemeral = await cipher.generateKeyPair();
  const plaintext = new Uint8Array(randomBytes(ANATOMY_PLAINTEXT_BYTES));
  const aad = new Uint8Array(randomBytes(AAD_BYTES));
  const dataKey = new Uint8Array(randomBytes(AES256_KEY_BYTES));
  const nonce = new Uint8Array(GCM_NONCE_BYTES);
  const sealed = await cipher.seal([plaintext], [recipient.publicKey], aad);
  const { enc, sharedSecret } = suite.encap(recipient.publicKey);
  const sealedKey = primitives.aes256GcmSeal(dataKey, nonce, aad, dataKey);
  const sealedContent = primitives.aes256GcmSeal(dataKey, nonce, aad, plaintext);
  const ecdh = createECDH(OPENSSL_P256);
  ecdh.setPrivateKey(ephemeral.privateKey);
  const ephemeralKey = createPrivateKey({
    key: { ...publicJwk(ephemeral.publicKey), d: Buffer.from(ephemeral.privateKey).toString('base64url') },
    format: 'jwk',
  });
  const recipientKey = createPublicKey({ key: publicJwk(recipient.publicKey), format: 'jwk' });

  const steps: Step[] = [
    {
      side: 'whole',
      name: 'whole seal (HpkeP256Cipher.seal)',
      op: () => cipher.seal([plaintext], [recipient.publicKey], aad),
    },
    {
      side: 'whole',
      name: 'whole open (unwrap + open)',
      op: async () => cipher.open(await cipher.unwrap(sealed.keyEnvelope, recipient, aad), sealed.parts[0], 0, aad),
    },
    {
      side: 'seal',
      name: 'seal: 2 × 32 random bytes (data key, ephemeral IKM)',
      op: () => [random.bytes(32), random.bytes(32)],
    },
    {
      side: 'seal',
      name: 'seal: Encap (pkR check (remembered), DeriveKeyPair, ECDH + pk(skE), ExtractAndExpand)',
      op: () => suite.encap(recipient.publicKey),
    },
    {
      side: 'seal',
      detail: true,
      name: '… of which ECDH + pk(skE)',
      op: () => primitives.p256EcdhWithPublicKey(ephemeral.privateKey, recipient.publicKey),
    },
    { side: 'seal', detail: true, name: '… of which 4 × HMAC-SHA256 (HKDF)', op: () => hmacTimes(primitives, 4) },
    {
      side: 'both',
      name: 'seal/open: KeySchedule (3 × HMAC-SHA256)',
      op: () => suite.keySchedule(sharedSecret, DATA_KEY_HPKE_INFO),
    },
    {
      side: 'seal',
      name: 'seal: AES-256-GCM seal of the 32 B data key',
      op: () => primitives.aes256GcmSeal(dataKey, nonce, aad, dataKey),
    },
    {
      side: 'seal',
      name: 'seal: AES-256-GCM seal of 1 KiB content',
      op: () => primitives.aes256GcmSeal(dataKey, nonce, aad, plaintext),
    },
    {
      side: 'open',
      name: 'open: Decap (ECDH, ExtractAndExpand; pkR known)',
      op: () => suite.decap(enc, recipient.privateKey, recipient.publicKey),
    },
    { side: 'open', detail: true, name: '… of which ECDH', op: () => primitives.p256Ecdh(recipient.privateKey, enc) },
    {
      side: 'open',
      name: 'open: AES-256-GCM open of the data key',
      op: () => primitives.aes256GcmOpen(dataKey, nonce, aad, sealedKey),
    },
    {
      side: 'open',
      name: 'open: AES-256-GCM open of 1 KiB content',
      op: () => primitives.aes256GcmOpen(dataKey, nonce, aad, sealedContent),
    },
    {
      side: 'whole',
      detail: true,
      name: 'node:crypto ECDH.setPrivateKey (loads sk, computes pk(sk))',
      op: () => ecdh.setPrivateKey(ephemeral.privateKey),
    },
    {
      side: 'whole',
      detail: true,
      name: 'node:crypto ECDH.computeSecret (checks its own key pair, then sk·PK)',
      op: () => ecdh.computeSecret(recipient.publicKey),
    },
    {
      side: 'whole',
      detail: true,
      name: 'node:crypto diffieHellman, KeyObjects (checks the peer key in full, then sk·PK)',
      op: () => diffieHellman({ privateKey: ephemeralKey, publicKey: recipientKey }),
    },
  ];
  const stats = await measureInterleaved(Object.fromEntries(steps.map((step) => [step.name, step.op])), context.rounds);
  const us = (name: string): number => stats[name].medianMs * 1000;
  const remainder = (whole: string, side: 'seal' | 'open'): number =>
    us(whole) -
    steps
      .filter((step) => !step.detail && (step.side === side || step.side === 'both'))
      .reduce((total, step) => total + us(step.name), 0);

  const rows = steps.map((step) => [step.name, num(us(step.name))]);
  rows.push([
    'seal: rest (key id (remembered), envelope encoding, copies, promise, GC)',
    num(remainder(steps[0].name, 'seal')),
  ]);
  rows.push([
    'open: rest (key id (remembered), slot lookup, checks, copies, promises, GC)',
    num(remainder(steps[1].name, 'open')),
  ]);
  return {
    table: {
      caption:
        'Where the time goes: one seal + open, node:crypto backend, 1 KiB, one recipient (each step timed alone, µs)',
      headers: ['step', 'µs'],
      rows,
    },
    data: Object.fromEntries(steps.map((step) => [step.name, us(step.name)])),
  };
}

/** JWK of a 65-byte SEC 1 uncompressed P-256 point: 0x04 || x (32) || y (32). */
function publicJwk(publicKey: Uint8Array): { kty: string; crv: string; x: string; y: string } {
  const point = Buffer.from(publicKey);
  return {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33).toString('base64url'),
  };
}

function hmacTimes(primitives: HpkePrimitives, count: number): void {
  const key = new Uint8Array(AES256_KEY_BYTES);
  for (let i = 0; i < count; i++) primitives.hmacSha256(key, key);
}
