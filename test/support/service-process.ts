import { LaunchedService, launchService } from './service-launcher';

/** The real service in a child process (see service-launcher.ts), so a test can SIGKILL it and start it again. */
export class ServiceProcess {
  private running: LaunchedService | null = null;
  private output = '';
  baseUrl = '';

  constructor(private readonly env: Record<string, string>) {}

  async start(timeoutMs = 90_000): Promise<void> {
    this.running = await launchService({ env: { ...this.env, LOG_LEVEL: 'log' }, startupTimeoutMs: timeoutMs });
    this.baseUrl = this.running.baseUrl;
  }

  /** A crash: no shutdown hooks, no flush, nothing written on the way out. */
  async kill(): Promise<void> {
    await this.running?.kill();
    this.settle();
  }

  /** A clean stop: SIGTERM as a process manager sends, or SIGINT as Ctrl-C does. */
  async stop(signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<void> {
    await this.running?.stop(signal);
    this.settle();
  }

  /** Keeps the stopped run's output readable until the next start. */
  private settle(): void {
    if (this.running) this.output = this.running.logs();
    this.running = null;
  }

  logs(): string {
    return this.running?.logs() ?? this.output;
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

  /** Exchanges a claim code for its holder's token (POST /api/v1/claims, no token). */
  async claim(claimCode: string): Promise<string> {
    const response = await fetch(`${this.baseUrl}/api/v1/claims`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ claimCode }),
    });
    const body = (await response.json()) as { token?: string };
    if (response.status !== 201 || !body.token) throw new Error(`claim: ${response.status}`);
    return body.token;
  }

  /** Creates a provider (as admin) and claims its code; the provider's token. */
  async provider(adminToken: string, providerId: string): Promise<string> {
    const created = await this.postJson<{ claimCode: string }>('/providers', adminToken, {
      providerId,
      name: providerId,
    });
    return this.claim(created.claimCode);
  }

  /** Enrols a patient (as a provider) and claims the code; the patient's token. */
  async patient(providerToken: string, patientId: string): Promise<string> {
    const enrolled = await this.postJson<{ claimCode: string }>('/patients', providerToken, { patientId });
    return this.claim(enrolled.claimCode);
  }

  /** Creates a provider (as admin) and enrols one patient; the provider's token. */
  async providerWithPatient(adminToken: string, providerId: string, patientId: string): Promise<string> {
    const provider = await this.provider(adminToken, providerId);
    await this.patient(provider, patientId);
    return provider;
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
