import { BenchContext } from './context';
import {
  CHAIN,
  GIB,
  LARGE,
  LatencyRow,
  MAX_CLIENTS,
  ModeSettings,
  Operation,
  OPERATIONS,
  SMALL,
  TARGET_CONCURRENCY_SPEEDUP,
  TARGET_HTTP_OVERHEAD,
  ThroughputRow,
} from './http-bench-model';
import { ms, num, percent, SectionResult, sizeLabel, TargetCheck, times } from './report';

/** Section 3's report: the targets, the notes and the two tables. */
export function httpReport(
  context: BenchContext,
  settings: ModeSettings,
  rows: LatencyRow[],
  throughput: ThroughputRow[],
  historyBytes: number[],
): SectionResult {
  const backend = context.ledger.backend;
  const overhead = (operation: Operation): number => {
    const row = rows.find((candidate) => candidate.operation === operation && candidate.bytes === LARGE)!;
    return row.byPath.http.p50Ms / row.byPath.adapter.p50Ms - 1;
  };
  const single = throughput.find((row) => row.clients === 1)!;
  const most = throughput.find((row) => row.clients === MAX_CLIENTS)!;
  const speedup = most.http.perSecond / single.http.perSecond;
  const memoryCaveat = backend === 'memory' ? ' (in-memory ledger: the adapter only copies bytes)' : '';
  const signed = (ratio: number): string => `${ratio >= 0 ? '+' : '−'}${percent(Math.abs(ratio))}`;
  const targets: TargetCheck[] = [
    ...OPERATIONS.map((operation) => ({
      target: `HTTP ${operation} over the adapter alone, ${sizeLabel(LARGE)}, p50${memoryCaveat}`,
      goal: `≤ +${percent(TARGET_HTTP_OVERHEAD)}`,
      measured: signed(overhead(operation)),
      met: overhead(operation) <= TARGET_HTTP_OVERHEAD,
    })),
    {
      target: `HTTP upload throughput, ${MAX_CLIENTS} clients vs 1, ${sizeLabel(SMALL)}`,
      goal: `≥ ${times(TARGET_CONCURRENCY_SPEEDUP)}`,
      measured: `${times(speedup)} (${num(most.http.perSecond)} vs ${num(single.http.perSecond)} uploads/s)`,
      met: speedup >= TARGET_CONCURRENCY_SPEEDUP,
    },
  ];
  const cpu = (share: number): string => `${num(share * 100, 2)} %`;
  const large = settings.latency[LARGE];
  const small = settings.latency[SMALL];
  const history = historyBytes.reduce((total, bytes) => total + bytes, 0);

  return {
    title: 'End to end over HTTP vs the adapter',
    notes: [
      `Ledgers: ${backend === 'embedded' ? 'the embedded anvil chains (LEDGER_BACKEND=embedded)' : 'in-memory (LEDGER_BACKEND=memory)'}; ` +
        `${context.ledger.reason}.`,
      'The service is the real AppModule built in the bench process, listening on a local port; a keep-alive node:http client ' +
        `in the same process. A provider uploads (multipart \`file\` + \`chain=${CHAIN}\`), the patient reads \`/records/latest\` ` +
        '(patient reads are not access-logged). Files: PNG signature + random bytes. RATE_LIMIT_PER_MINUTE is at its maximum so nothing is throttled.',
      'use case = `UploadRecordUseCase` / `GetRecordUseCase` called directly (sniffing, access checks, HPKE, ECDSA, SHA-256, ledger; no HTTP). ' +
        'adapter = the ledger repository alone: `EmrRepository.append` of a record of the same size (fresh ciphertext bytes each time), ' +
        '`latest` + `readContent` to retrieve. The three paths take turns call by call on the same ledgers.',
      `Latency is one request at a time, per path: ${sizeLabel(SMALL)} ${small.rounds * small.perRound.samples} samples ` +
        `(${small.rounds} service start(s), ${small.perRound.warmup} warm-up each), ${sizeLabel(LARGE)} ${large.rounds * large.perRound.samples} ` +
        `(${large.rounds} start(s), ${large.perRound.warmup} warm-up each). Throughput: each client uploads back to back for ` +
        `${settings.throughputMs / 1000} s after ${settings.throughputWarmupMs / 1000} s warm-up, one patient per client; then the same ` +
        'with adapter appends. CPU = share of one core during the HTTP run.',
      ...(backend === 'embedded'
        ? [
            'The service restarts between phases, each on empty chains (anvil recomputes the state root over its whole state per ' +
              'block, so a chain filled by earlier phases would slow later ones). Without --prune-history anvil would also write ' +
              `a full copy of its state per block to disk past ~500 blocks; this section's chains wrote ${num(history / GIB)} GiB ` +
              "that way (in the bench's temp dir, removed).",
          ]
        : []),
    ],
    tables: [
      {
        caption: 'Latency (ms), one request at a time',
        headers: [
          'operation',
          'size',
          'HTTP p50',
          'HTTP p95',
          'use case p50',
          'adapter p50',
          'adapter p95',
          'HTTP ÷ adapter',
          'HTTP ÷ use case',
        ],
        rows: rows.map((row) => [
          row.operation,
          sizeLabel(row.bytes),
          num(row.byPath.http.p50Ms),
          num(row.byPath.http.p95Ms),
          num(row.byPath.useCase.p50Ms),
          num(row.byPath.adapter.p50Ms),
          num(row.byPath.adapter.p95Ms),
          times(row.byPath.http.p50Ms / row.byPath.adapter.p50Ms),
          times(row.byPath.http.p50Ms / row.byPath.useCase.p50Ms),
        ]),
      },
      {
        caption: `Upload throughput, ${sizeLabel(SMALL)}`,
        headers: [
          'clients',
          'HTTP uploads/s',
          'HTTP p50',
          'HTTP p95',
          'vs 1 client',
          'service CPU',
          ...(backend === 'embedded' ? ['anvil CPU (both chains)'] : []),
          'adapter appends/s',
          'adapter vs 1',
        ],
        rows: throughput.map((row) => [
          String(row.clients),
          num(row.http.perSecond),
          ms(row.http.latency.p50Ms),
          ms(row.http.latency.p95Ms),
          times(row.http.perSecond / single.http.perSecond),
          cpu(row.httpCpu.service),
          ...(backend === 'embedded' ? [cpu(row.httpCpu.anvil.reduce((total, share) => total + share, 0))] : []),
          num(row.adapter.perSecond),
          times(row.adapter.perSecond / single.adapter.perSecond),
        ]),
      },
    ],
    targets,
    data: { backend, latency: rows, throughput, anvilHistoryBytes: historyBytes },
  };
}
