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

  /** A clean stop: SIGTERM as a process manager sends, or SIGINT as Ctrl-C does. */
  async stop(signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.child = null;
  }

  logs(): string {
    return this.output;
  }

  /** POSTs JSON to `/api/v1<path>` with a bearer token; the parsed answer. */
  async postJson<T>(path: string, token: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await response.json()) as T;
  }

  /** Creates a provider (as admin) and enrols one patient; the provider's token. */
  async providerWithPatient(adminToken: string, providerId: string, patientId: string): Promise<string> {
    const provider = await this.postJson<{ token: string }>('/providers', adminToken, { providerId, name: providerId });
    await this.postJson('/patients', provider.token, { patientId });
    return provider.token;
  }

  /** Multipart upload of one file; the raw response. */
  upload(patientId: string, token: string, chain: string, file: Buffer, fileName: string): Promise<Response> {
    const form = new FormData();
    form.append('chain', chain);
    form.append('file', new Blob([file], { type: 'image/png' }), fileName);
    return fetch(`${this.baseUrl}/api/v1/patients/${patientId}/records`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    });
  }
}
