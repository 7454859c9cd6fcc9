import { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, HkdfSha256 } from '@hpke/core';
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
} from 'node:crypto';
import { DATA_KEY_HPKE_INFO, HpkeP256Cipher } from '../src/infrastructure/crypto/hpke-p256.cipher';
import { HpkeP256Suite } from '../src/infrastructure/crypto/hpke-p256.suite';
import { HpkePrimitives } from '../src/infrastructure/crypto/hpke.primitives';
import { NobleHpkePrimitives } from '../src/infrastructure/crypto/noble.primitives';
import { NodeCryptoHpkePrimitives } from '../src/infrastructure/crypto/node-crypto.primitives';
import { NodeRandomSource } from '../src/infrastructure/crypto/node-crypto.random';
import { BenchContext } from './support/context';
import { measureInterleaved, Operation } from './support/measure';
import { KIB, MIB, num, percent, SectionResult, sizeLabel, Table, TargetCheck } from './support/report';

const SIZES = [KIB, 64 * KIB, MIB];
const TARGET_SIZE_SMALL = KIB;
const TARGET_SIZE_BULK = MIB;
/** Target: seal + open of a 1 KiB record, one recipient, node backend, on one core. */
const TARGET_SEAL_OPEN_PER_SECOND = 3_000;
/** Target: at 1 MiB our seal + open keeps this share of raw AES-256-GCM encrypt + decrypt throughput. */
const TARGET_BULK_SHARE_OF_RAW = 0.7;
/** Bytes per MB in the MB/s columns (decimal, like disk and network figures). */
const MB = 1e6;

const AES_256_GCM = 'aes-256-gcm';
const OPENSSL_P256 = 'prime256v1';
const AES256_KEY_BYTES = 32;
const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
/** A record's aad is the patient pseudonym (32) and the record id (32); the length is what matters here. */
const AAD_BYTES = 64;

type Implementation = 'ours, node:crypto' | 'ours, noble' | '@hpke/core 1.9' | 'raw node:crypto AES-256-GCM';

interface SealOpen {
  readonly seal: Operation;
  /** Everything a reader does: unwrap the data key, then open the content. */
  readonly open: Operation;
}

interface Row {
  readonly implementation: Implementation;
  readonly bytes: number;
  /** Wall time per operation (median round). */
  readonly sealMs: number;
  readonly openMs: number;
  /** Process CPU time per operation, every thread (GC helpers included). */
  readonly sealCpuMs: number;
  readonly openCpuMs: number;
}

/**
 * Section 1: HpkeP256Cipher on each primitive backend beside @hpke/core (an independent RFC 9180
 * implementation, WebCrypto underneath) and beside raw AES-256-GCM over the same bytes, which is
 * the bulk limit: no envelope can be faster than the AEAD it wraps.
 */
export async function runCryptoBench(context: BenchContext): Promise<SectionResult> {
  const rows: Row[] = [];
  for (const bytes of SIZES) {
    context.progress(`crypto: ${sizeLabel(bytes)}`);
    const plaintext = new Uint8Array(randomBytes(bytes));
    const aad = new Uint8Array(randomBytes(AAD_BYTES));
    const implementations: Record<Implementation, SealOpen> = {
      'ours, node:crypto': await ourCipher(new NodeCryptoHpkePrimitives(), plaintext, aad),
      'ours, noble': await ourCipher(new NobleHpkePrimitives(), plaintext, aad),
      '@hpke/core 1.9': await hpkeCore(plaintext, aad),
      'raw node:crypto AES-256-GCM': rawAesGcm(plaintext, aad),
    };
    const cases: Record<string, Operation> = {};
    for (const [name, pair] of Object.entries(implementations)) {
      cases[`${name}/seal`] = pair.seal;
      cases[`${name}/open`] = pair.open;
    }
    const stats = await measureInterleaved(cases, context.rounds);
    for (const implementation of Object.keys(implementations) as Implementation[]) {
      rows.push({
        implementation,
        bytes,
        sealMs: stats[`${implementation}/seal`].medianMs,
        openMs: stats[`${implementation}/open`].medianMs,
        sealCpuMs: stats[`${implementation}/seal`].cpuMedianMs,
        openCpuMs: stats[`${implementation}/open`].cpuMedianMs,
      });
    }
  }

  context.progress('crypto: where the time goes (node:crypto, 1 KiB)');
  const anatomy = await anatomyOfSealOpen(context);

  const find = (implementation: Implementation, bytes: number): Row =>
    rows.find((row) => row.implementation === implementation && row.bytes === bytes)!;
  const small = find('ours, node:crypto', TARGET_SIZE_SMALL);
  const bulk = find('ours, node:crypto', TARGET_SIZE_BULK);
  const rawBulk = find('raw node:crypto AES-256-GCM', TARGET_SIZE_BULK);
  const smallRate = 1000 / (small.sealMs + small.openMs);
  const smallCpuRate = 1000 / (small.sealCpuMs + small.openCpuMs);
  const bulkShare = (rawBulk.sealMs + rawBulk.openMs) / (bulk.sealMs + bulk.openMs);

  const targets: TargetCheck[] = [
    {
      target: 'seal + open per second on one core (wall clock, one thread), 1 KiB, node:crypto, one recipient',
      goal: `≥ ${num(TARGET_SEAL_OPEN_PER_SECOND, 4)} /s`,
      measured:
        `${num(smallRate, 4)} /s (seal ${num(small.sealMs * 1000)} µs + open ${num(small.openMs * 1000)} µs wall; ` +
        `${num(smallCpuRate, 4)} per CPU-second, GC threads included)`,
      met: smallRate >= TARGET_SEAL_OPEN_PER_SECOND,
    },
    {
      target: '1 MiB seal + open throughput vs raw AES-256-GCM encrypt + decrypt',
      goal: `≥ ${percent(TARGET_BULK_SHARE_OF_RAW)}`,
      measured: `${percent(bulkShare)} (seal ${percent(rawBulk.sealMs / bulk.sealMs)}, open ${percent(rawBulk.openMs / bulk.openMs)})`,
      met: bulkShare >= TARGET_BULK_SHARE_OF_RAW,
    },
  ];

  const table: Table = {
    caption: 'Seal and open, one recipient, one core (median of interleaved rounds)',
    headers: [
      'implementation',
      'size',
      'seal ops/s',
      'open ops/s',
      'seal+open /s',
      'seal MB/s',
      'open MB/s',
      'seal+open vs raw AES',
    ],
    rows: rows.map((row) => {
      const raw = find('raw node:crypto AES-256-GCM', row.bytes);
      return [
        row.implementation,
        sizeLabel(row.bytes),
        num(1000 / row.sealMs),
        num(1000 / row.openMs),
        num(1000 / (row.sealMs + row.openMs)),
        num(row.bytes / MB / (row.sealMs / 1000)),
        num(row.bytes / MB / (row.openMs / 1000)),
        percent((raw.sealMs + raw.openMs) / (row.sealMs + row.openMs)),
      ];
    }),
  };

  return {
    title: 'Crypto: HPKE envelope seal and open',
    notes: [
      'seal = `HpkeP256Cipher.seal([bytes], [recipient], aad)`: fresh data key, AES-256-GCM over the bytes, data key sealed with HPKE base mode ' +
        '(DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM). open = `unwrap` (HPKE open of the data key) + `open` of the bytes.',
      '@hpke/core: single-shot `CipherSuite.seal/open` of the same bytes, same suite and info, recipient keys imported as CryptoKeys beforehand ' +
        '(loaded through its CommonJS build; no dynamic import needed).',
      'raw: `createCipheriv/createDecipheriv("aes-256-gcm")` update + final + tag over the same bytes, no KEM, no copies.',
      `Rounds interleave the implementations (${context.rounds.rounds} rounds × ≥ ${context.rounds.roundMs} ms each) and report the median, ` +
        'so load from other processes hits every column alike; compare ratios, not absolute figures, across runs.',
    ],
    tables: [table, anatomy.table],
    targets,
    data: {
      rows: rows.map((row) => ({ ...row, sealOpenPerSecond: 1000 / (row.sealMs + row.openMs) })),
      anatomy: anatomy.data,
    },
  };
}

async function ourCipher(primitives: HpkePrimitives, plaintext: Uint8Array, aad: Uint8Array): Promise<SealOpen> {
  const cipher = new HpkeP256Cipher(primitives);
  const recipient = await cipher.generateKeyPair();
  const sealed = await cipher.seal([plaintext], [recipient.publicKey], aad);
  return {
    seal: () => cipher.seal([plaintext], [recipient.publicKey], aad),
    open: async () => cipher.open(await cipher.unwrap(sealed.keyEnvelope, recipient, aad), sealed.parts[0], 0, aad),
  };
}

async function hpkeCore(plaintext: Uint8Array, aad: Uint8Array): Promise<SealOpen> {
  const suite = new CipherSuite({ kem: new DhkemP256HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const recipient = await suite.kem.generateKeyPair();
  const sealed = await suite.seal(
    { recipientPublicKey: recipient.publicKey, info: DATA_KEY_HPKE_INFO },
    plaintext,
    aad,
  );
  return {
    seal: () => suite.seal({ recipientPublicKey: recipient.publicKey, info: DATA_KEY_HPKE_INFO }, plaintext, aad),
    open: () => suite.open({ recipientKey: recipient, enc: sealed.enc, info: DATA_KEY_HPKE_INFO }, sealed.ct, aad),
  };
}

function rawAesGcm(plaintext: Uint8Array, aad: Uint8Array): SealOpen {
  const key = randomBytes(AES256_KEY_BYTES);
  const nonce = randomBytes(GCM_NONCE_BYTES);
  const encrypt = (): { body: Buffer; tag: Buffer } => {
    const cipher = createCipheriv(AES_256_GCM, key, nonce, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    cipher.final();
    return { body, tag: cipher.getAuthTag() };
  };
  const { body, tag } = encrypt();
  return {
    seal: encrypt,
    open: () => {
      const decipher = createDecipheriv(AES_256_GCM, key, nonce, { authTagLength: GCM_TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const plain = decipher.update(body);
      decipher.final();
      return plain;
    },
  };
}

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
async function anatomyOfSealOpen(context: BenchContext): Promise<{ table: Table; data: unknown }> {
  const primitives = new NodeCryptoHpkePrimitives();
  const suite = new HpkeP256Suite(primitives, new NodeRandomSource());
  const random = new NodeRandomSource();
  const cipher = new HpkeP256Cipher(primitives);
  const recipient = await cipher.generateKeyPair();
  const ephemeral = await cipher.generateKeyPair();
  const plaintext = new Uint8Array(randomBytes(TARGET_SIZE_SMALL));
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
