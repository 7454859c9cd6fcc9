import { randomBytes } from 'node:crypto';
import { NobleHpkePrimitives } from '../src/infrastructure/crypto/noble.primitives';
import { NodeCryptoHpkePrimitives } from '../src/infrastructure/crypto/node-crypto.primitives';
import { BenchContext } from './support/context';
import { anatomyOfSealOpen } from './support/crypto-anatomy';
import { AAD_BYTES, hpkeCore, ourCipher, rawAesGcm, SealOpen } from './support/crypto-implementations';
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

type Implementation = 'ours, node:crypto' | 'ours, noble' | '@hpke/core 1.9' | 'raw node:crypto AES-256-GCM';

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
