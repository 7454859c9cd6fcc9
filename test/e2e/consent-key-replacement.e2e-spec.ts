import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ConsentAction, consentMessage, replaceKeyDataHash } from '../../src/domain/consent-message';
import { generatePatientSigningKey, signMessage } from '../fakes/consent-signature';
import { Actor, createProvider } from '../support/actors';
import { createTestApp, TestApp } from '../support/app';
import { makePng } from '../support/files';
import { KeyStore, loadPatientClient, PatientClient, PatientClientModule } from '../support/patient-client-module';

const hex = (bytes: Uint8Array): string => `0x${Buffer.from(bytes).toString('hex')}`;
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const bytes = (hex0x: string): Uint8Array => new Uint8Array(Buffer.from(hex0x.replace(/^0x/, ''), 'hex'));

/**
 * Issue 14 over HTTP (in-memory ledgers, which check signatures as the contract does): the patient
 * replaces their signing key with a change signed by the current one, made by the page's client
 * module. One story: each test builds on the one before.
 */
describe('#14 replacing the patient signing key (POST /me/keys/signing)', () => {
  let testApp: TestApp;
  let baseUrl: string;
  let module: PatientClientModule;
  let alpha: Actor;
  let client: PatientClient;
  let store: KeyStore;
  let recoveryCode: string;
  let ownRecordId: string;
  let formerKey: Uint8Array;
  const patientId = 'P-1401';
  const own = makePng(12, 12, 3);

  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    token: string,
    json?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  };

  const me = async () => (await call<{ keys: { signingPublicKey: string } }>('GET', '/me', client.token)).body;

  beforeAll(async () => {
    testApp = await createTestApp();
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(testApp.app.getHttpServer().address() as AddressInfo).port}`;
    module = await loadPatientClient();
    const server = testApp.app.getHttpServer();
    alpha = await createProvider(server, testApp.adminToken, 'alpha-14k');
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('setup: the patient claims, registers keys in the client and uploads a record of their own (signed by that key)', async () => {
    const enrolled = await call<{ claimCode: string }>('POST', '/patients', alpha.token, { patientId });
    expect(enrolled.status).toBe(201);
    store = await module.openKeyStore();
    client = await module.PatientClient.claim(enrolled.body.claimCode, { baseUrl, keyStore: store });
    ({ recoveryCode } = await client.registerKeys());
    const uploaded = await client.upload({ bytes: own, fileName: 'own.png', contentType: 'image/png', chain: 'both' });
    ownRecordId = uploaded.recordId;
    formerKey = (await store.get(patientId))!.signing.publicKey;
    expect((await me()).keys.signingPublicKey).toBe(hex(formerKey));
  });

  it('a replacement signed by another key is 422 CONSENT_SIGNATURE_INVALID and changes nothing', async () => {
    const context = await call<{
      patientKey: string;
      ledgers: { chain: string; chainId: string; registry: string; nonce: string }[];
    }>('GET', `/patients/${patientId}/consent-context`, client.token);
    expect(context.status).toBe(200);
    const intruder = generatePatientSigningKey();
    const newKey = Uint8Array.from([0x04, ...bytes(intruder.x), ...bytes(intruder.y)]);
    const signatures = Object.fromEntries(
      context.body.ledgers.map((ledger) => {
        const message = consentMessage({
          chainId: BigInt(ledger.chainId),
          registry: ledger.registry,
          action: ConsentAction.ReplaceKey,
          patientKey: bytes(context.body.patientKey),
          providerKey: new Uint8Array(32),
          expiresAt: 0n,
          nonce: BigInt(ledger.nonce),
          dataHash: replaceKeyDataHash(newKey, sha256),
        });
        // Signed by the intruder's own key, not the patient's current one.
        return [ledger.chain, { nonce: ledger.nonce, ...signMessage(intruder, message) }];
      }),
    );
    const backupBefore = (await call<{ backup: string }>('GET', '/me/key-backup', client.token)).body.backup;
    const refused = await call<{ code: string }>('POST', '/me/keys/signing', client.token, {
      signingPublicKey: hex(newKey),
      signatures,
      backup: Buffer.alloc(109, 7).toString('base64'),
    });
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 422,
      code: 'CONSENT_SIGNATURE_INVALID',
    });
    expect((await me()).keys.signingPublicKey).toBe(hex(formerKey));
    expect((await call<{ backup: string }>('GET', '/me/key-backup', client.token)).body.backup).toBe(backupBefore);
    const after = await call<{ ledgers: { nonce: string }[] }>(
      'GET',
      `/patients/${patientId}/consent-context`,
      client.token,
    );
    expect(after.body.ledgers.map((ledger) => ledger.nonce)).toEqual(
      context.body.ledgers.map((ledger) => ledger.nonce),
    );
  });

  it('the replacement signed by the current key is 201: the service names the new key, the old one kept as former', async () => {
    const oldKeys = (await store.get(patientId))!;
    const oldStore = await module.openKeyStore();
    await oldStore.put(oldKeys);
    const replaced = await client.replaceSigningKey(recoveryCode);
    const stored = (await store.get(patientId))!;
    expect(hex(stored.signing.publicKey)).not.toBe(hex(formerKey));
    expect(replaced).toEqual({ signingPublicKey: hex(stored.signing.publicKey), formerSigningKeys: [hex(formerKey)] });
    expect((await me()).keys.signingPublicKey).toBe(hex(stored.signing.publicKey));
    expect(stored.formerSigningPublicKeys?.map(hex)).toEqual([hex(formerKey)]);

    // Another device restores the new keys from the re-wrapped backup with the same recovery code.
    const restored = new module.PatientClient({ baseUrl, token: client.token, keyStore: await module.openKeyStore() });
    await expect(restored.restoreKeys(recoveryCode)).resolves.toEqual({
      encryptionPublicKey: hex(stored.encryption.publicKey),
      signingPublicKey: hex(stored.signing.publicKey),
    });

    // A grant signed by the old key is refused by every ledger now.
    const stale = new module.PatientClient({ baseUrl, token: client.token, keyStore: oldStore, patientId });
    await expect(stale.grantConsent(alpha.id)).rejects.toMatchObject({
      status: 422,
      code: 'CONSENT_SIGNATURE_INVALID',
    });
  });

  it('a consent grant signed by the new key works, and its history verifies under the new key', async () => {
    const granted = await client.grantConsent(alpha.id);
    expect(granted).toMatchObject({ providerId: alpha.id, active: true });
    const history = await client.consentHistory();
    expect(history.filter((change) => change.action === 'grant').every((change) => change.verified)).toBe(true);
    expect(history.length).toBeGreaterThan(0);
  });

  it("the patient's earlier own upload still opens: in the client and, for the consented provider, in the service (signed by the former key)", async () => {
    const opened = await client.readSealed(ownRecordId, { chain: 'supchain' });
    expect(Buffer.from(opened.bytes).equals(own)).toBe(true);
    expect(opened.sealed.signer).toMatchObject({ kind: 'patient', publicKey: hex(formerKey) });
    // A device restored after the replacement knows the former key too (GET /me/key-backup names it).
    const restored = new module.PatientClient({ baseUrl, token: client.token, keyStore: await module.openKeyStore() });
    await restored.restoreKeys(recoveryCode);
    expect(Buffer.from((await restored.readSealed(ownRecordId, { chain: 'supchain' })).bytes).equals(own)).toBe(true);

    const response = await fetch(`${baseUrl}/api/v1/patients/${patientId}/records/${ownRecordId}?chain=medchain`, {
      headers: { Authorization: `Bearer ${alpha.token}` },
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(own)).toBe(true);
  });
});
