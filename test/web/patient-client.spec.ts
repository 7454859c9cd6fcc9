import {
  bytesToHex,
  fromBase64,
  fromHex0x,
  generateP256KeyPair,
  normaliseRecoveryCode,
  openEpochSlot,
  openKeyStore,
  toHex0x,
} from '../../src/interfaces/web/public/crypto/index.js';
import { PatientClient, PatientClientError } from '../../src/interfaces/web/public/patient/patient-client.js';
import { BASE_URL, CLAIM_CODE, FakePatientApi, PATIENT_ID, PATIENT_KEY, TOKEN } from './fake-patient-api';

type KeyStore = Awaited<ReturnType<typeof openKeyStore>>;

const FILE = new Uint8Array(3000).map((_, i) => (i * 7) % 256);

function clientFor(api: FakePatientApi, keyStore: KeyStore): PatientClient {
  return new PatientClient({ baseUrl: `${BASE_URL}/`, token: TOKEN, keyStore, fetch: api.fetch });
}

async function registered(api: FakePatientApi) {
  const keyStore = await openKeyStore();
  const client = clientFor(api, keyStore);
  const { recoveryCode } = await client.registerKeys();
  return { client, keyStore, recoveryCode };
}

describe('PatientClient.claim', () => {
  it('#13 exchanges the claim code at POST /api/v1/claims (no token sent) for a signed-in client', async () => {
    const api = new FakePatientApi();
    const client = await PatientClient.claim(CLAIM_CODE, { baseUrl: BASE_URL, fetch: api.fetch });
    expect(client.token).toBe(TOKEN);
    expect(client.patientId).toBe(PATIENT_ID);
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/api/v1/claims', json: { claimCode: CLAIM_CODE } });
    expect(api.requests[0].headers.authorization).toBeUndefined();
    expect(api.requests[0].headers['content-type']).toBe('application/json');
  });

  it('#13 a refused code is a PatientClientError with the problem’s status, code and detail; a provider’s is NOT_A_PATIENT', async () => {
    const api = new FakePatientApi();
    await expect(PatientClient.claim('WRONG', { baseUrl: BASE_URL, fetch: api.fetch })).rejects.toMatchObject({
      name: 'PatientClientError',
      status: 404,
      code: 'CLAIM_CODE_INVALID',
      detail: 'Wrong, used or expired.',
    });
    api.claimRole = 'provider';
    await expect(PatientClient.claim(CLAIM_CODE, { baseUrl: BASE_URL, fetch: api.fetch })).rejects.toMatchObject({
      code: 'NOT_A_PATIENT',
    });
  });
});

describe('PatientClient keys', () => {
  it('#13 registerKeys: GET /me for the id, then POST /me/keys with 0x-hex keys, a proof and a 109-byte base64 backup', async () => {
    const api = new FakePatientApi();
    const keyStore = await openKeyStore();
    const answer = await clientFor(api, keyStore).registerKeys();
    expect(answer).toMatchObject({ stored: true, registeredAt: '2025-01-01T00:00:00.000Z', rewrapped: 0 });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/v1/me', 'POST /api/v1/me/keys']);
    const body = api.requests[1].json!;
    expect(Object.keys(body).sort()).toEqual(['backup', 'encryptionPublicKey', 'epoch', 'proof', 'signingPublicKey']);
    expect(body.encryptionPublicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expect(body.signingPublicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expect(body.proof).toMatch(/^0x[0-9a-f]{128}$/);
    expect(fromBase64(body.backup as string)).toHaveLength(109);
    expect(api.requests[1].headers.authorization).toBe(`Bearer ${TOKEN}`);
    // Stored non-extractable, under the patient's id, with the public keys the service registered.
    const stored = await keyStore.get(PATIENT_ID);
    expect(stored?.encryption.privateKey.extractable).toBe(false);
    expect(stored?.signing.privateKey.extractable).toBe(false);
    expect(toHex0x(stored!.encryption.publicKey)).toBe(body.encryptionPublicKey);
    expect(toHex0x(stored!.signing.publicKey)).toBe(body.signingPublicKey);
    // The recovery code never leaves the client, in any form.
    const code = normaliseRecoveryCode(answer.recoveryCode);
    const wire = JSON.stringify(api.requests.map((r) => [r.path, r.query, r.json]));
    expect(wire).not.toContain(code);
    expect(wire).not.toContain(answer.recoveryCode);
  });

  it('#13 registering twice is the service’s 409 KEYS_ALREADY_REGISTERED, and the stored keys stay', async () => {
    const api = new FakePatientApi();
    const { client, keyStore } = await registered(api);
    const before = await keyStore.get(PATIENT_ID);
    const failure = await client.registerKeys().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PatientClientError);
    expect(failure).toMatchObject({ status: 409, code: 'KEYS_ALREADY_REGISTERED' });
    expect((await keyStore.get(PATIENT_ID))?.encryption.privateKey).toBe(before?.encryption.privateKey);
  });

  it('#13 restoreKeys: a new device gets the backup, a wrong code stores nothing, the right one (as typed) stores the keys', async () => {
    const api = new FakePatientApi();
    const { client, recoveryCode } = await registered(api);
    const { answer } = await uploadOne(client, 'supchain');

    const newStore = await openKeyStore();
    const newDevice = clientFor(api, newStore);
    await expect(newDevice.readSealed(answer.recordId)).rejects.toMatchObject({ code: 'NO_LOCAL_KEYS' });
    await expect(newDevice.restoreKeys(`${'0'.repeat(24)}ABCD`)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(newDevice.restoreKeys('not a code')).rejects.toMatchObject({ code: 'MALFORMED' });
    await expect(newStore.get(PATIENT_ID)).resolves.toBeNull();

    const restored = await newDevice.restoreKeys(recoveryCode.toLowerCase().replace(/-/g, ' '));
    expect(restored.encryptionPublicKey).toBe(api.keys!.encryptionPublicKey);
    expect(api.requests.filter((r) => r.path === '/api/v1/me/key-backup')).toHaveLength(2);
    const stored = await newStore.get(PATIENT_ID);
    expect(stored?.encryption.privateKey.extractable).toBe(false);
    const { bytes } = await newDevice.readSealed(answer.recordId);
    expect(bytesToHex(bytes)).toBe(bytesToHex(FILE));
  });

  it('#13 restoreKeys before any registration is the service’s 404 KEYS_NOT_REGISTERED', async () => {
    const api = new FakePatientApi();
    await expect(clientFor(api, await openKeyStore()).restoreKeys('0'.repeat(28))).rejects.toMatchObject({
      status: 404,
      code: 'KEYS_NOT_REGISTERED',
    });
  });
});

async function uploadOne(client: PatientClient, chain: 'supchain' | 'medchain' | 'both') {
  const answer = (await client.upload({
    bytes: FILE,
    fileName: 'lab result.pdf',
    contentType: 'application/pdf',
    chain,
  })) as {
    recordId: string;
    chain: string;
  };
  return { answer };
}

describe('PatientClient records', () => {
  it('#13 upload: GET …/recipients for the chain, then a multipart POST the service accepts; the file name stays sealed', async () => {
    const api = new FakePatientApi();
    const provider = await generateP256KeyPair('ECDH');
    api.providers = [{ id: 'st-mary', publicKey: toHex0x(provider.publicKey) }];
    const { client } = await registered(api);
    api.requests.length = 0;

    const { answer } = await uploadOne(client, 'both');
    expect(answer.chain).toBe('both');
    expect(answer.recordId).toMatch(/^0x[0-9a-f]{64}$/);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/patients/${PATIENT_ID}/recipients`,
      `POST /api/v1/patients/${PATIENT_ID}/sealed-records`,
    ]);
    expect(api.requests[0].query).toEqual({ chain: 'both' });
    const post = api.requests[1];
    expect(post.headers['content-type']).toBeUndefined(); // fetch sets the multipart boundary itself
    const form = post.form!;
    expect([...form.keys()]).toEqual([
      'chain',
      'recordId',
      'sealedHeader',
      'keyEnvelope',
      'recipients',
      'signatures',
      'content',
    ]);
    expect(form.get('chain')).toBe('both');
    expect(form.get('recordId')).toBe(answer.recordId);
    expect(JSON.parse(form.get('recipients') as string)).toEqual([
      api.keys!.encryptionPublicKey,
      toHex0x(provider.publicKey),
    ]);
    const signatures = JSON.parse(form.get('signatures') as string) as Record<string, string>;
    expect(Object.keys(signatures).sort()).toEqual(['medchain', 'supchain']);
    for (const signature of Object.values(signatures)) expect(signature).toMatch(/^0x[0-9a-f]{128}$/);
    const keyEnvelope = fromBase64(form.get('keyEnvelope') as string);
    expect([keyEnvelope[0], keyEnvelope[1], keyEnvelope.length]).toEqual([0x02, 2, 2 + 2 * 113]);
    const file = form.get('content') as File;
    expect(file.type).toBe('application/octet-stream');
    expect(file.name).not.toContain('lab');
    expect(file.size).toBe(FILE.length + 16);
    // Nothing in plain text: not the name, not the bytes.
    const wire = [...form.values()].filter((value) => typeof value === 'string').join('\n');
    expect(wire).not.toContain('lab result');
    expect(bytesToHex(new Uint8Array(await file.arrayBuffer()))).not.toContain(bytesToHex(FILE.subarray(0, 16)));
  });

  it('#13 readSealed verifies and decrypts GET …/sealed-records/{id}?chain=…; listSealed pages and openHeader names items', async () => {
    const api = new FakePatientApi();
    const { client } = await registered(api);
    const { answer } = await uploadOne(client, 'both');
    api.requests.length = 0;

    const read = await client.readSealed(answer.recordId, { chain: 'medchain' });
    expect(api.requests[0]).toMatchObject({
      method: 'GET',
      path: `/api/v1/patients/${PATIENT_ID}/sealed-records/${answer.recordId}`,
      query: { chain: 'medchain' },
    });
    // The ciphertext comes as bytes from the ledger the record was read from.
    expect(api.requests[1]).toMatchObject({
      method: 'GET',
      path: `/api/v1/patients/${PATIENT_ID}/sealed-records/${answer.recordId}/content`,
      query: { chain: 'medchain' },
    });
    expect(read.sealed.chain).toBe('medchain');
    expect(read.header).toMatchObject({
      fileName: 'lab result.pdf',
      contentType: 'application/pdf',
      size: FILE.length,
    });
    expect(read.header.uploader).toBe(PATIENT_ID);
    expect(bytesToHex(read.bytes)).toBe(bytesToHex(FILE));

    const page = (await client.listSealed({ chain: 'supchain', limit: 10, cursor: 'abc' })) as { items: unknown[] };
    expect(api.requests[2]).toMatchObject({
      path: `/api/v1/patients/${PATIENT_ID}/sealed-records`,
      query: { chain: 'supchain', limit: '10', cursor: 'abc' },
    });
    expect(page.items).toHaveLength(1);
    await expect(client.openHeader(page.items[0])).resolves.toMatchObject({ fileName: 'lab result.pdf' });
  });

  it('#13 a tampered answer fails in the client: BAD_SIGNATURE, INTEGRITY', async () => {
    const api = new FakePatientApi();
    const { client } = await registered(api);
    const { answer } = await uploadOne(client, 'supchain');
    const stored = api.records.get(answer.recordId)!;
    const signature = fromHex0x(stored.signatures.supchain, 64);
    signature[10] ^= 1;
    const good = stored.signatures.supchain;
    stored.signatures.supchain = toHex0x(signature);
    await expect(client.readSealed(answer.recordId)).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    stored.signatures.supchain = good;
    stored.content[0] ^= 1;
    await expect(client.readSealed(answer.recordId)).rejects.toMatchObject({ code: 'INTEGRITY' });
  });

  it('#13 upload refuses, before posting, a recipients list whose patient key is not the one in the key store', async () => {
    const api = new FakePatientApi();
    const { client } = await registered(api);
    api.patientKeyOverride = toHex0x((await generateP256KeyPair('ECDH')).publicKey);
    await expect(uploadOne(client, 'supchain')).rejects.toMatchObject({ code: 'KEYS_MISMATCH' });
    expect(api.requests.some((r) => r.method === 'POST' && r.path.endsWith('/sealed-records'))).toBe(false);
  });

  it('#13 the service’s refusals reach the caller by code; no answer at all is NETWORK_ERROR', async () => {
    const api = new FakePatientApi();
    const client = clientFor(api, await openKeyStore());
    await expect(client.readSealed(`0x${'00'.repeat(32)}`)).rejects.toMatchObject({
      status: 404,
      code: 'RECORD_NOT_FOUND',
    });
    const offline = new PatientClient({
      baseUrl: BASE_URL,
      token: TOKEN,
      patientId: PATIENT_ID,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    await expect(offline.me()).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
    const wrongToken = new PatientClient({ baseUrl: BASE_URL, token: 'nope', fetch: api.fetch });
    await expect(wrongToken.me()).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('PatientClient consent (issue 14)', () => {
  const patientKey = fromHex0x(PATIENT_KEY, 32);

  async function withProvider(api: FakePatientApi, id: string) {
    const keys = await generateP256KeyPair('ECDH');
    api.directory.set(id, {
      publicKey: toHex0x(keys.publicKey),
      providerKey: toHex0x(new Uint8Array(32).fill(id.length)),
    });
    return keys;
  }

  it('#14 registerKeys sends epoch 0: a P-256 public key and one slot that opens with the patient’s own key', async () => {
    const api = new FakePatientApi();
    const { keyStore } = await registered(api);
    const epoch = api.requests.find((r) => r.path === '/api/v1/me/keys')!.json!.epoch as {
      publicKey: string;
      slots: string[];
    };
    expect(epoch.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expect(epoch.slots).toHaveLength(1);
    const stored = await keyStore.get(PATIENT_ID);
    const opened = await openEpochSlot({
      slot: fromBase64(epoch.slots[0]),
      recipient: stored!.encryption,
      patientKey,
      index: 0,
      publicKey: fromHex0x(epoch.publicKey, 65),
    });
    expect(opened.index).toBe(0);
  });

  it('#14 grantConsent: the provider’s slot opens to the current epoch key, the signature verifies on the ledger, history is verified locally', async () => {
    const api = new FakePatientApi();
    const provider = await withProvider(api, 'st-mary');
    const { client } = await registered(api);
    api.requests.length = 0;
    const granted = await client.grantConsent('st-mary', { expiresAt: '2030-01-01T00:00:00.400Z' });
    expect(granted).toMatchObject({ providerId: 'st-mary', active: true });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /api/v1/patients/${PATIENT_ID}/consent-context`,
      `POST /api/v1/patients/${PATIENT_ID}/consents`,
    ]);
    const body = api.requests[1].json!;
    expect(body.expiresAt).toBe('2030-01-01T00:00:00.000Z');
    const opened = await openEpochSlot({
      slot: fromBase64(body.epochSlot as string),
      recipient: provider,
      patientKey,
      index: 0,
      publicKey: fromHex0x(api.epochs[0].publicKey, 65),
    });
    expect(opened.index).toBe(0);
    expect(api.nonce).toBe(1n);

    const history = await client.consentHistory();
    expect(history.map((change: { action: string; verified: boolean }) => [change.action, change.verified])).toEqual([
      ['grant', true],
    ]);
    // A history entry the service changed is not verified.
    api.history[0].s = `0x${'11'.repeat(32)}`;
    expect((await client.consentHistory())[0].verified).toBe(false);
  });

  it('#14 a signature the ledger refuses (its nonce moved on after the context was read) is CONSENT_SIGNATURE_INVALID', async () => {
    const api = new FakePatientApi();
    await withProvider(api, 'st-mary');
    const { keyStore } = await registered(api);
    const racing = new PatientClient({
      baseUrl: BASE_URL,
      token: TOKEN,
      keyStore,
      fetch: async (input, init) => {
        const response = await api.fetch(input, init);
        if (String(input).includes('/consent-context')) api.nonce += 1n;
        return response;
      },
    });
    await expect(racing.grantConsent('st-mary')).rejects.toMatchObject({
      status: 422,
      code: 'CONSENT_SIGNATURE_INVALID',
    });
    expect(api.history).toEqual([]);
  });

  it('#14 revokeConsent: a new epoch 1 with slots for the patient and the provider still consented, signed', async () => {
    const api = new FakePatientApi();
    const mary = await withProvider(api, 'st-mary');
    const jude = await withProvider(api, 'st-jude');
    const { client, keyStore } = await registered(api);
    await client.grantConsent('st-mary');
    await client.grantConsent('st-jude');
    api.requests.length = 0;
    await client.revokeConsent('st-mary');
    const body = api.requests.at(-1)!.json! as { epoch: { publicKey: string; slots: string[] } };
    expect(api.requests.at(-1)!.path).toBe(`/api/v1/patients/${PATIENT_ID}/consents/st-mary/revoke`);
    expect(api.epochs.map((epoch) => epoch.index)).toEqual([0, 1]);
    expect(body.epoch.slots).toHaveLength(2);
    const stored = await keyStore.get(PATIENT_ID);
    const open = (recipient: { publicKey: Uint8Array; privateKey: CryptoKey }, slot: string) =>
      openEpochSlot({
        slot: fromBase64(slot),
        recipient,
        patientKey,
        index: 1,
        publicKey: fromHex0x(body.epoch.publicKey, 65),
      });
    await expect(open(stored!.encryption, body.epoch.slots[0])).resolves.toMatchObject({ index: 1 });
    await expect(open(jude, body.epoch.slots[1])).resolves.toMatchObject({ index: 1 });
    // The revoked provider holds no slot of the new epoch.
    for (const slot of body.epoch.slots) await expect(open(mary, slot)).rejects.toMatchObject({ code: 'NO_SLOT' });
    const history = await client.consentHistory();
    expect(
      history.map((change: { action: string; verified: boolean }) => `${change.action}:${change.verified}`),
    ).toEqual(['grant:true', 'grant:true', 'revoke:true']);
  });
});
