import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProcess } from '../support/service-process';

const REPO_ROOT = join(__dirname, '..', '..');
const MARKER = '<!-- walkthrough:';

interface Step {
  command: string;
  expected: string[];
}

/** The bash block that follows the walkthrough marker in README.md, as commands with their `# → …` lines. */
function walkthrough(): { setup: string[]; steps: Step[] } {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('```bash\n', readme.indexOf(MARKER));
  if (readme.indexOf(MARKER) < 0 || start < 0) throw new Error('README.md has no walkthrough block');
  const body = readme.slice(start + '```bash\n'.length, readme.indexOf('\n```', start));
  const logical = body.replace(/\\\n/g, ' ').split('\n');
  const setup = logical.filter((line) => /^(BASE|ADMIN)=/.test(line));
  const steps: Step[] = [];
  for (const line of logical) {
    const expectation = /^# → (.+)$/.exec(line.trim());
    if (expectation) steps[steps.length - 1].expected.push(expectation[1].trim());
    else if (line.trim() && !line.trim().startsWith('#') && !/^(BASE|ADMIN)=/.test(line)) {
      steps.push({ command: line, expected: [] });
    }
  }
  return { setup, steps };
}

/**
 * A newcomer's first minutes, run from the README itself so it cannot rot: the real service on
 * the embedded default with a fresh data directory, the admin token taken from what the first start
 * printed, then every command of the walkthrough block as written, each `# → …` line checked
 * against what the command before it printed.
 */
describe('README walkthrough', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-readme-'));
  const workDir = mkdtempSync(join(tmpdir(), 'emr-readme-cwd-'));
  let service: ServiceProcess;

  beforeAll(async () => {
    delete process.env.ADMIN_TOKEN;
    service = new ServiceProcess({ DATA_DIR: dataDir, LEDGER_BACKEND: 'embedded' });
    await service.start();
    symlinkSync(join(REPO_ROOT, 'docs'), join(workDir, 'docs'));
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  });

  it('runs every command of the README walkthrough and prints what the README says', () => {
    const { setup, steps } = walkthrough();
    expect(setup.map((line) => line.split('=')[0])).toEqual(['BASE', 'ADMIN']);
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(steps.filter((step) => step.expected.length > 0).length).toBeGreaterThanOrEqual(5);

    const printed = /shown this once[^\n]*\n\s*\n\s*(\S+)/.exec(service.logs());
    expect(printed).not.toBeNull();
    const script = [
      'set -euo pipefail',
      `BASE='${service.baseUrl}/api/v1'`,
      `ADMIN='${printed![1]}'`,
      ...steps.flatMap((step, index) => [step.command, `echo "@@step ${index}@@"`]),
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], { cwd: workDir, encoding: 'utf8', timeout: 60_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });

    const outputs = run.stdout.split(/@@step \d+@@\n/);
    const unmet = steps.flatMap((step, index) =>
      step.expected.filter((text) => !outputs[index].includes(text)).map((text) => ({ step: step.command, text })),
    );
    expect(unmet).toEqual([]);
  });
});
