/**
 * `npm run bench [-- --full] [--only=crypto,gas,http,scale,memory,fhir,page,consent] [--ledger=embedded|memory]`: measures cost, speed and
 * scale on this machine, prints one markdown table per section and writes bench/results.json.
 * Every figure is compared only with figures measured in the same run. Exits 0 even when a
 * target is missed: the ❌ marks say so.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { CONSENT_TARGETS, CONSENT_TITLE, runConsentBench } from './consent.bench';
import { runCryptoBench } from './crypto.bench';
import { runFhirBench } from './fhir.bench';
import { runHttpBench } from './http.bench';
import { runLedgerCostBench } from './ledger-cost.bench';
import { runMemoryBench } from './memory.bench';
import { PAGE_TARGETS, PAGE_TITLE, runPageBench } from './page.bench';
import { runScaleBench } from './scale.bench';
import { BenchContext, BenchMode, createContext } from './support/context';
import { failedSection, renderSection, SectionResult } from './support/report';
import { detectLedgerBackend } from './support/service';

interface Section {
  readonly id: string;
  readonly title: string;
  /** Named in the report if the section cannot run at all. */
  readonly targets: readonly string[];
  run(context: BenchContext): Promise<SectionResult>;
}

const SECTIONS: readonly Section[] = [
  {
    id: 'crypto',
    title: 'Crypto: HPKE envelope seal and open',
    targets: ['seal + open ≥ 3,000 /s per core at 1 KiB', '1 MiB ≥ 70 % of raw AES-256-GCM'],
    run: runCryptoBench,
  },
  {
    id: 'gas',
    title: 'Ledger cost: gas per plaintext byte',
    targets: ['≤ 230 gas/byte at ≥ 256 KiB', '≥ 4× cheaper than seed-style storeData'],
    run: runLedgerCostBench,
  },
  {
    id: 'http',
    title: 'End to end over HTTP vs the adapter',
    targets: ['HTTP adds ≤ 15 % over the adapter at 1 MiB', '32-client throughput ≥ 5× single-client'],
    run: runHttpBench,
  },
  {
    id: 'scale',
    title: 'Scale: reads stay flat as histories and patients grow',
    targets: ['list and latest flat (≤ 1.5×) from 10 to 10,000 records and patient 1 to 10,000'],
    run: runScaleBench,
  },
  {
    id: 'memory',
    title: 'Memory: peak RSS for a 10 MiB record',
    targets: ['peak RSS above idle ≤ 6× the file size'],
    run: runMemoryBench,
  },
  {
    id: 'fhir',
    title: 'FHIR (IHE MHD) vs REST for the same file',
    targets: ['ITI-65 and ITI-68 of 1 MiB ≤ 1.15× the REST upload and read'],
    run: runFhirBench,
  },
  {
    id: 'page',
    title: PAGE_TITLE,
    targets: PAGE_TARGETS,
    run: runPageBench,
  },
  {
    id: 'consent',
    title: CONSENT_TITLE,
    targets: CONSENT_TARGETS,
    run: runConsentBench,
  },
];

const RESULTS_PATH = join(__dirname, 'results.json');

function parseArguments(argv: readonly string[]): { mode: BenchMode; only: Set<string> | null; ledger?: string } {
  let mode: BenchMode = 'quick';
  let only: Set<string> | null = null;
  let ledger: string | undefined;
  for (const argument of argv) {
    if (argument === '--full') mode = 'full';
    else if (argument === '--quick') mode = 'quick';
    else if (argument.startsWith('--only=')) only = new Set(argument.slice('--only='.length).split(','));
    else if (argument.startsWith('--ledger=')) ledger = argument.slice('--ledger='.length);
    else {
      throw new Error(
        `Unknown argument ${argument}; use --full, --quick, --ledger=embedded|memory or --only=${SECTIONS.map((s) => s.id).join(',')}`,
      );
    }
  }
  if (only) {
    const unknown = [...only].filter((id) => !SECTIONS.some((section) => section.id === id));
    if (unknown.length > 0) throw new Error(`Unknown section(s): ${unknown.join(', ')}`);
  }
  return { mode, only, ledger };
}

async function main(): Promise<void> {
  const { mode, only, ledger } = parseArguments(process.argv.slice(2));
  const context = createContext(mode, detectLedgerBackend(ledger));
  const startedAt = new Date();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    openssl: process.versions.openssl,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  };
  const header = [
    '# patient-centric-emr benchmarks',
    '',
    `- date: ${startedAt.toISOString()}`,
    `- machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}; ` +
      `node ${machine.node}, OpenSSL ${machine.openssl}; load average at start ${machine.loadAverageAtStart.join(' / ')}`,
    `- mode: ${mode}${only ? ` (sections: ${[...only].join(', ')})` : ''}; ` +
      `service ledgers: ${context.ledger.backend} (${context.ledger.reason})`,
    '',
  ].join('\n');
  process.stdout.write(`${header}\n`);

  const results: Record<string, SectionResult> = {};
  let index = 0;
  for (const section of SECTIONS) {
    index++;
    if (only && !only.has(section.id)) continue;
    context.progress(`section ${index}: ${section.title}`);
    let result: SectionResult;
    try {
      result = await section.run(context);
    } catch (error) {
      context.progress(
        `section ${section.id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      result = failedSection(section.title, error, section.targets);
    }
    results[section.id] = result;
    process.stdout.write(`${renderSection(index, result)}\n`);
  }

  const finishedAt = new Date();
  writeFileSync(
    RESULTS_PATH,
    `${JSON.stringify({ startedAt, finishedAt, mode, ledger: context.ledger, machine, sections: results }, null, 2)}\n`,
  );
  context.progress(
    `done in ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s; wrote ${RESULTS_PATH}`,
  );
}

main().then(
  // Servers, chains and sockets the sections started are closed by then; exit anyway so a stray
  // handle cannot keep the process alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
