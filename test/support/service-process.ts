import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './ledger-pair';

/** The real service in a child process (src/main.ts through ts-node), so a test can SIGKILL it. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private output = '';
  baseUrl = '';

  constructor(private readonly env: Record<string, string>) {}

  async start(timeoutMs = 90_000): Promise<void> {
    const port = await freePort();
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.output = '';
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, ...this.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'log' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`service exited early:\n${this.output.slice(-2000)}`);
      try {
        if ((await fetch(`${this.baseUrl}/health`)).status < 500) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`service did not start:\n${this.output.slice(-2000)}`);
  }

  /** A crash: no shutdown hooks, no flush, nothing written on the way out. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }

  logs(): string {
    return this.output;
  }
}
