import {
  CONSENT_ACTION,
  consentMessage,
  describeKeyEnvelope,
  grantDataHash,
  revokeDataHash,
  fromBase64,
  fromHex0x,
  keyIdOf,
  recordSigningPayload,
  registrationPayload,
  sha256,
  toBase64,
  toHex0x,
  verifyConsentSignature,
  verifyRecordSignature,
} from '../../src/interfaces/web/public/crypto/index.js';

/**
 * A stand-in for the service's patient endpoints (issue 13 spec §7), as a `fetch`: it records
 * every request and checks what the real service checks that a client can get wrong (shapes,
 * the registration proof, recipients, one verifying signature per target chain). Tests assert
 * on `requests` to pin the wire format.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  json?: Record<string, unknown>;
  form?: FormData;
}

interface StoredRecord {
  chains: string[];
  recordId: string;
  sealedHeader: string;
  keyEnvelope: string;
  content: Uint8Array;
  contentSha256: string;
  signatures: Record<string, string>;
  signer: { kind: 'patient'; keyId: string; publicKey: string };
  createdAt: string;
}

export const BASE_URL = 'https://emr.test';
export const TOKEN = 'patient-token';
export const CLAIM_CODE = 'K7QM-2D9X-VT4R-8HNC-W1PB';
export const PATIENT_ID = 'patient-0042';
export const PATIENT_KEY = `0x${'42'.repeat(32)}`;
/** The one ledger the fake relays consent to. */
export const LEDGER = { chain: 'supchain', chainId: '31337', registry: `0x${'5a'.repeat(20)}` };

/** A consent change as the fake's "ledger" recorded it (GET …/consents/history). */
export interface FakeConsentChange {
  chain: string;
  action: 'grant' | 'revoke';
  providerId: string;
  expiresAt: string | null;
  nonce: string;
  message: string;
  r: string;
  s: string;
  at: string;
  transaction: string | null;
}

function problem(status: number, code: string, detail = ''): Response {
  return new Response(JSON.stringify({ type: 'about:blank', status, code, detail }), {
    status,
    headers: { 'Content-Type': 'application/problem+json' },
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export class FakePatientApi {
  readonly requests: RecordedRequest[] = [];
  keys: { encryptionPublicKey: string; signingPublicKey: string; backup: string; registeredAt: string } | null = null;
  readonly records = new Map<string, StoredRecord>();
  /** Providers with consent in force, in the order GET …/recipients lists them. */
  providers: { id: string; publicKey: string }[] = [];
  /** Answer the recipients list with this encryption key for the patient (a service that swaps keys). */
  patientKeyOverride: string | null = null;
  claimRole = 'patient';
  /** Providers the service knows (consent-context answers their keys and pseudonyms). */
  directory = new Map<string, { publicKey: string; providerKey: string }>();
  /** The patient's epochs as registered, granted and revoked through the fake. */
  epochs: { index: number; publicKey: string; slots: string[] }[] = [];
  nonce = 0n;
  history: FakeConsentChange[] = [];

  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const request: RecordedRequest = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers,
    };
    if (typeof init.body === 'string') request.json = JSON.parse(init.body) as Record<string, unknown>;
    if (init.body instanceof FormData) request.form = init.body;
    this.requests.push(request);
    if (url.origin !== BASE_URL || !url.pathname.startsWith('/api/v1/')) return problem(404, 'NOT_FOUND');
    const route = `${request.method} ${url.pathname.slice('/api/v1'.length)}`;
    if (route === 'POST /claims') return this.claim(request);
    if (headers.authorization !== `Bearer ${TOKEN}`) return problem(401, 'UNAUTHENTICATED');
    const own = `/patients/${PATIENT_ID}`;
    switch (route) {
      case 'GET /me':
        return json(200, { id: PATIENT_ID, role: 'patient', patientKey: PATIENT_KEY, keys: this.publicKeys() });
      case 'POST /me/keys':
        return this.registerKeys(request);
      case 'GET /me/key-backup':
        return this.keys ? json(200, this.keys) : problem(404, 'KEYS_NOT_REGISTERED');
      case `GET ${own}/recipients`:
        return this.recipients(request);
      case `GET ${own}/sealed-records`:
        return json(200, {
          items: [...this.records.values()].reverse().map((record) => this.sealedRecord(record, request.query.chain)),
          nextCursor: null,
        });
      case `POST ${own}/sealed-records`:
        return this.upload(request);
      case `GET ${own}/consent-context`:
        return this.consentContext(request);
      case `POST ${own}/consents`:
        return this.signedChange(request, CONSENT_ACTION.GRANT, request.json?.providerId as string);
      case `GET ${own}/consents/history`:
        return json(200, this.history);
      case `GET ${own}/epochs`:
        return json(200, this.epochs);
    }
    const revoke = url.pathname.match(new RegExp(`^/api/v1${own}/consents/([^/]+)/revoke$`));
    if (request.method === 'POST' && revoke) {
      return this.signedChange(request, CONSENT_ACTION.REVOKE, decodeURIComponent(revoke[1]));
    }
    const one = url.pathname.match(new RegExp(`^/api/v1${own}/sealed-records/(0x[0-9a-f]{64})(/content)?$`));
    if (request.method === 'GET' && one) {
      const record = this.records.get(one[1]);
      if (!record) return problem(404, 'RECORD_NOT_FOUND');
      if (one[2])
        return new Response(Buffer.from(record.content), {
          status: 200,
          headers: { 'Content-Type': 'application/octet-stream' },
        });
      return json(200, this.sealedRecord(record, request.query.chain));
    }
    return problem(404, 'NOT_FOUND');
  };

  private publicKeys() {
    if (!this.keys) return null;
    const { encryptionPublicKey, signingPublicKey, registeredAt } = this.keys;
    return { encryptionPublicKey, signingPublicKey, registeredAt };
  }

  private claim(request: RecordedRequest): Response {
    if (request.json?.claimCode !== CLAIM_CODE) return problem(404, 'CLAIM_CODE_INVALID', 'Wrong, used or expired.');
    return json(201, { id: PATIENT_ID, role: this.claimRole, token: TOKEN });
  }

  private async registerKeys(request: RecordedRequest): Promise<Response> {
    if (this.keys) return problem(409, 'KEYS_ALREADY_REGISTERED');
    const body = request.json ?? {};
    let enc: Uint8Array, sig: Uint8Array, proof: Uint8Array, backup: Uint8Array;
    try {
      if (Object.keys(body).sort().join() !== 'backup,encryptionPublicKey,epoch,proof,signingPublicKey')
        throw new Error();
      const epoch = body.epoch as { publicKey: string; slots: string[] };
      fromHex0x(epoch.publicKey, 65);
      if (!Array.isArray(epoch.slots) || epoch.slots.length !== 1) throw new Error();
      this.epochs = [{ index: 0, publicKey: epoch.publicKey, slots: [...epoch.slots] }];
      enc = fromHex0x(body.encryptionPublicKey as string, 65);
      sig = fromHex0x(body.signingPublicKey as string, 65);
      proof = fromHex0x(body.proof as string, 64);
      backup = fromBase64(body.backup as string);
      if (backup.length < 1 || backup.length > 8192) throw new Error();
    } catch {
      return problem(422, 'VALIDATION_FAILED');
    }
    if (!(await verifyRecordSignature(sig, registrationPayload(PATIENT_ID, enc, sig), proof))) {
      return problem(422, 'KEY_PROOF_INVALID');
    }
    const registeredAt = '2025-01-01T00:00:00.000Z';
    this.keys = {
      encryptionPublicKey: toHex0x(enc),
      signingPublicKey: toHex0x(sig),
      backup: body.backup as string,
      registeredAt,
    };
    return json(201, { encryptionPublicKey: toHex0x(enc), signingPublicKey: toHex0x(sig), registeredAt, rewrapped: 0 });
  }

  private consentContext(request: RecordedRequest): Response {
    if (!this.keys || this.epochs.length === 0) return problem(409, 'KEYS_NOT_REGISTERED');
    const provider = request.query.providerId ? this.directory.get(request.query.providerId) : undefined;
    if (request.query.providerId && !provider) return problem(400, 'VALIDATION_FAILED');
    return json(200, {
      patientKey: PATIENT_KEY,
      provider: provider ? { id: request.query.providerId, ...provider } : null,
      ledgers: [{ ...LEDGER, nonce: this.nonce.toString() }],
      epoch: this.epochs.at(-1),
      consented: this.providers.map((consented) => ({
        ...consented,
        providerKey: this.directory.get(consented.id)?.providerKey,
      })),
    });
  }

  /** A grant or revoke, checked as the contract checks it (message, signature, nonce, data hash). */
  private async signedChange(request: RecordedRequest, action: 1 | 2, providerId: string): Promise<Response> {
    const body = request.json ?? {};
    const provider = this.directory.get(providerId);
    if (!this.keys || !provider) return problem(400, 'VALIDATION_FAILED');
    const signature = (body.signatures as Record<string, { nonce: string; r: string; s: string }>)?.[LEDGER.chain];
    if (!signature) return problem(422, 'CONSENT_SIGNATURE_INVALID');
    const epoch = body.epoch as { publicKey: string; slots: string[] } | undefined;
    const slot = action === CONSENT_ACTION.GRANT ? fromBase64(body.epochSlot as string) : null;
    const dataHash = slot
      ? await grantDataHash(slot)
      : await revokeDataHash(
          fromHex0x(epoch!.publicKey, 65),
          epoch!.slots.map((text) => fromBase64(text)),
        );
    const expiresAt = typeof body.expiresAt === 'string' ? BigInt(Date.parse(body.expiresAt) / 1000) : 0n;
    const fields = {
      chainId: BigInt(LEDGER.chainId),
      registry: LEDGER.registry,
      action,
      patientKey: fromHex0x(PATIENT_KEY, 32),
      providerKey: fromHex0x(provider.providerKey, 32),
      expiresAt,
      nonce: BigInt(signature.nonce),
      dataHash,
    } as const;
    const signingKey = fromHex0x(this.keys.signingPublicKey, 65);
    if (
      BigInt(signature.nonce) !== this.nonce ||
      !(await verifyConsentSignature(signingKey, fields, signature.r, signature.s))
    ) {
      return problem(422, 'CONSENT_SIGNATURE_INVALID');
    }
    this.history.push({
      chain: LEDGER.chain,
      action: action === CONSENT_ACTION.GRANT ? 'grant' : 'revoke',
      providerId,
      expiresAt: typeof body.expiresAt === 'string' ? body.expiresAt : null,
      nonce: signature.nonce,
      message: toHex0x(consentMessage(fields)),
      r: signature.r,
      s: signature.s,
      at: '2025-01-03T00:00:00.000Z',
      transaction: null,
    });
    this.nonce += 1n;
    if (slot) {
      this.epochs.at(-1)!.slots.push(toBase64(slot));
      if (!this.providers.some((consented) => consented.id === providerId)) {
        this.providers.push({ id: providerId, publicKey: provider.publicKey });
      }
      return json(201, {
        providerId,
        grantedAt: '2025-01-03T00:00:00.000Z',
        expiresAt: null,
        active: true,
        chains: ['supchain'],
      });
    }
    this.epochs.push({ index: this.epochs.length, publicKey: epoch!.publicKey, slots: [...epoch!.slots] });
    this.providers = this.providers.filter((consented) => consented.id !== providerId);
    return new Response(null, { status: 204 });
  }

  private recipientList() {
    if (!this.keys) return null;
    return [
      { role: 'patient', id: PATIENT_ID, publicKey: this.patientKeyOverride ?? this.keys.encryptionPublicKey },
      ...this.providers.map((provider) => ({ role: 'provider', ...provider })),
    ];
  }

  private recipients(request: RecordedRequest): Response {
    const recipients = this.recipientList();
    if (!recipients) return problem(409, 'KEYS_NOT_REGISTERED');
    const chains = request.query.chain === 'both' ? ['supchain', 'medchain'] : [request.query.chain];
    return json(200, { patientId: PATIENT_ID, patientKey: PATIENT_KEY, chains, recipients });
  }

  private async upload(request: RecordedRequest): Promise<Response> {
    const recipients = this.recipientList();
    if (!recipients || !this.keys) return problem(409, 'KEYS_NOT_REGISTERED');
    const form = request.form;
    const file = form?.get('content');
    const fields = ['chain', 'recordId', 'sealedHeader', 'keyEnvelope', 'recipients', 'signatures'];
    if (!form || !(file instanceof Blob) || fields.some((name) => typeof form.get(name) !== 'string')) {
      return problem(422, 'VALIDATION_FAILED');
    }
    const text = (name: string) => form.get(name) as string;
    const chains = text('chain') === 'both' ? ['supchain', 'medchain'] : [text('chain')];
    const recordId = text('recordId');
    if (this.records.has(recordId)) return problem(409, 'RECORD_EXISTS');
    const keyEnvelope = fromBase64(text('keyEnvelope'));
    const listed = JSON.parse(text('recipients')) as string[];
    if (JSON.stringify(listed) !== JSON.stringify(recipients.map((recipient) => recipient.publicKey))) {
      return problem(422, 'RECIPIENTS_MISMATCH');
    }
    const described = describeKeyEnvelope(keyEnvelope);
    if (described.version !== 2 || described.slots !== listed.length) return problem(422, 'ENVELOPE_MALFORMED');
    const content = new Uint8Array(await file.arrayBuffer());
    const signatures = JSON.parse(text('signatures')) as Record<string, string>;
    const signingKey = fromHex0x(this.keys.signingPublicKey, 65);
    for (const chain of chains) {
      const payload = await recordSigningPayload({
        chain,
        patientKey: fromHex0x(PATIENT_KEY, 32),
        recordId: fromHex0x(recordId, 32),
        contentSha256: await sha256(content),
        sealedHeader: fromBase64(text('sealedHeader')),
        keyEnvelope,
      });
      const signature = signatures[chain];
      if (!signature || !(await verifyRecordSignature(signingKey, payload, fromHex0x(signature, 64)))) {
        return problem(422, 'SIGNATURE_INVALID');
      }
    }
    const createdAt = '2025-01-02T00:00:00.000Z';
    this.records.set(recordId, {
      chains,
      recordId,
      sealedHeader: text('sealedHeader'),
      keyEnvelope: text('keyEnvelope'),
      content,
      contentSha256: toHex0x(await sha256(content)),
      signatures,
      signer: { kind: 'patient', keyId: toHex0x(await keyIdOf(signingKey)), publicKey: toHex0x(signingKey) },
      createdAt,
    });
    return json(201, {
      recordId,
      patientId: PATIENT_ID,
      chain: text('chain'),
      version: 1,
      createdAt,
      ciphertextSha256: toHex0x(await sha256(content)),
      transactions: [],
      blockNumber: 1,
    });
  }

  private sealedRecord(record: StoredRecord, chainQuery?: string) {
    const chain = chainQuery && chainQuery !== 'any' ? chainQuery : record.chains[0];
    return {
      recordId: record.recordId,
      patientId: PATIENT_ID,
      patientKey: PATIENT_KEY,
      chain,
      version: 1,
      createdAt: record.createdAt,
      transactions: [],
      blockNumber: 1,
      contentSha256: record.contentSha256,
      contentLength: record.content.length,
      sealedHeader: record.sealedHeader,
      keyEnvelope: record.keyEnvelope,
      addedKeyEnvelopes: [],
      signature: record.signatures[chain],
      signer: record.signer,
    };
  }
}
