import { Agent, request } from 'node:http';

/** Sockets the bench keeps open to the service; above the largest number of concurrent clients. */
const MAX_SOCKETS = 64;
const MULTIPART_BOUNDARY = 'emr-bench-7d1c2f0e9b';

export interface Response {
  readonly status: number;
  readonly body: Buffer;
}

class StaleSocketError extends Error {}

/**
 * A bare node:http client with keep-alive, so the figures carry as little client cost as
 * possible: no fetch/undici stream machinery, multipart bodies built once and reused.
 */
export class ApiClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  private readonly url: URL;

  constructor(baseUrl: string) {
    this.url = new URL(baseUrl);
  }

  /**
   * One request. A keep-alive socket the server closed while idle fails with ECONNRESET before
   * the request is read; that case (and only that one) is retried once on a new socket, as the
   * node:http documentation advises (`reusedSocket`).
   */
  async send(
    method: string,
    path: string,
    token: string | null,
    body?: Buffer,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    try {
      return await this.sendOnce(method, path, token, body, headers);
    } catch (error) {
      if (!(error instanceof StaleSocketError)) throw error;
      return this.sendOnce(method, path, token, body, headers);
    }
  }

  private sendOnce(
    method: string,
    path: string,
    token: string | null,
    body: Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<Response> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body ? { 'content-length': String(body.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        reject(req.reusedSocket && error.code === 'ECONNRESET' ? new StaleSocketError() : error);
      });
      req.end(body);
    });
  }

  async json<T>(method: string, path: string, token: string | null, payload?: unknown): Promise<T> {
    const body = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
    const response = await this.send(method, path, token, body, body ? { 'content-type': 'application/json' } : {});
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`${method} ${path}: ${response.status} ${response.body.toString('utf8').slice(0, 300)}`);
    }
    return JSON.parse(response.body.toString('utf8')) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A multipart/form-data upload (`file` and `chain`), encoded once so every request sends the same bytes. */
export interface EncodedUpload {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly fileBytes: number;
}

export function encodeUpload(
  file: Buffer,
  chain: string,
  fileName = 'scan.png',
  contentType = 'image/png',
): EncodedUpload {
  const head = Buffer.from(
    `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="chain"\r\n\r\n${chain}\r\n` +
      `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${MULTIPART_BOUNDARY}--\r\n`);
  return {
    body: Buffer.concat([head, file, tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` },
    fileBytes: file.length,
  };
}

/** POST /records; throws unless the service answered 201. */
export async function upload(
  client: ApiClient,
  patientId: string,
  token: string,
  encoded: EncodedUpload,
): Promise<void> {
  const response = await client.send('POST', recordsPath(patientId), token, encoded.body, encoded.headers);
  if (response.status !== 201) {
    throw new Error(`upload: ${response.status} ${response.body.toString('utf8').slice(0, 300)}`);
  }
}

/** GET /records/latest; throws unless it answered 200 with `expectedBytes` bytes. */
export async function readLatest(
  client: ApiClient,
  patientId: string,
  token: string,
  chain: string,
  expectedBytes?: number,
): Promise<void> {
  const response = await client.send('GET', `${recordsPath(patientId)}/latest?chain=${chain}`, token);
  if (response.status !== 200 || (expectedBytes !== undefined && response.body.length !== expectedBytes)) {
    throw new Error(`read latest: ${response.status}, ${response.body.length} bytes`);
  }
}

/** GET /records (first page); throws unless it answered 200 with `expectedItems` items. */
export async function listFirstPage(
  client: ApiClient,
  patientId: string,
  token: string,
  chain: string,
  expectedItems: number,
): Promise<void> {
  const response = await client.send('GET', `${recordsPath(patientId)}?chain=${chain}&limit=${expectedItems}`, token);
  const items =
    response.status === 200 ? (JSON.parse(response.body.toString('utf8')) as { items: unknown[] }).items : [];
  if (items.length !== expectedItems) throw new Error(`list: ${response.status}, ${items.length} items`);
}

export function recordsPath(patientId: string): string {
  return `/api/v1/patients/${encodeURIComponent(patientId)}/records`;
}

export interface Actors {
  readonly providerId: string;
  readonly providerToken: string;
  /** patientId → token */
  readonly patients: Map<string, string>;
}

/** The one-time setup every API user does: a provider (admin token), then its patients. */
export async function createActors(
  client: ApiClient,
  adminToken: string,
  providerId: string,
  patientIds: readonly string[],
): Promise<Actors> {
  const created = await client.json<{ claimCode: string }>('POST', '/api/v1/providers', adminToken, {
    providerId,
    name: `Bench provider ${providerId}`,
  });
  const providerToken = await claim(client, created.claimCode);
  const patients = new Map<string, string>();
  for (const patientId of patientIds) {
    const enrolled = await client.json<{ claimCode: string }>('POST', '/api/v1/patients', providerToken, { patientId });
    patients.set(patientId, await claim(client, enrolled.claimCode));
  }
  return { providerId, providerToken, patients };
}

/** Exchanges a claim code for its holder's token, as the provider or patient would (the claim needs no token). */
async function claim(client: ApiClient, claimCode: string): Promise<string> {
  return (await client.json<{ token: string }>('POST', '/api/v1/claims', null, { claimCode })).token;
}
