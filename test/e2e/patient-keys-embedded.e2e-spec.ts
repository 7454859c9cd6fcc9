import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_NOTE_KEY_REF } from '../../src/application/access/access-note-key';
import { bytesToHex, hexToBytes } from '../../src/domain/bytes';
import { ChainName, CHAIN_NAMES } from '../../src/domain/chain-name';
import { PatientId } from '../../src/domain/patient-id';
import { KeyPair } from '../../src/domain/ports/cipher.port';
import { principalRef } from '../../src/domain/principal';
import { epochAad } from '../../src/domain/epoch-aad';
import { recordAad } from '../../src/domain/record-codec';
import { HmacPseudonymizer } from '../../src/infrastructure/crypto/hmac.pseudonymizer';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { EmbeddedLedgers, startEmbeddedLedgers } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import {
  FilePrincipalRepository,
  PrincipalStoreKey,
} from '../../src/infrastructure/principals/file-principal.repository';
import { p256PublicKey } from '../../src/infrastructure/secrets/deployment-secrets';
import { FileKeyVault } from '../../src/infrastructure/vault/file.key-vault';
import { asHex, dumpChain } from '../support/chain-scan';
import { makePng } from '../support/files';
import { KeyStore, loadPatientClient, PatientClient, PatientClientModule } from '../support/patient-client-module';
import { ServiceProcess } from '../support/service-process';

const RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/;
/** Spec §4: 0x01 ‖ salt 16 ‖ nonce 12 ‖ AES-256-GCM of two 32-byte scalars ‖ tag 16. */
const BACKUP_BYTES = 109;
const SERVICE_KEY_LOG = /Records are signed with public key 0x([0-9a-f]{130})/;

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Issue 13 end to end on the embedded anvil chains, driven by the page's own PatientClient in Node:
 * keys born in the "browser", the re-wrap of an upload made before them, a signed grant and an upload
 * the consented provider reads through its epoch slot (#14), a signed revoke and then the patient's
 * own sealed upload with no consent in force, restore from the recovery code. Then the service is
 * stopped and the test turns hostile operator, holding the whole DATA_DIR, the key-vault master key,
 * the chains' writer keys, full RPC and the service's own code, and every epoch key those keys open a
 * slot of: it still cannot open what the patient sealed with no consent in force.
 * Last, both chains are dumped and scanned for identifiers and secrets. One story: each test builds
 * on the one before.
 */
describe('#13 the patient holds the keys: Node client on the embedded chains, the operator is blind', () => {
  const tag = randomBytes(6).toString('hex');
  const adminToken = `admin-${randomBytes(24).toString('hex')}`;
  // The embedded default generates this key into DATA_DIR/secrets/deployment.json; configured here so
  // the operator below is handed it explicitly (holding the data directory would give it anyway).
  const masterKey = randomBytes(32);
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-h13-'));
  const service = new ServiceProcess({
    LEDGER_BACKEND: 'embedded',
    DATA_DIR: dataDir,
    ADMIN_TOKEN: adminToken,
    KEY_VAULT_MASTER_KEY: masterKey.toString('hex'),
  });
  const patientId = `P-13-${tag}`;
  const providers = {
    alpha: { id: `alpha-13-${tag}`, name: `Alpha Clinic ${tag}`, token: '', claimCode: '', publicKey: '' },
    beta: { id: `beta-13-${tag}`, name: `Beta Clinic ${tag}`, token: '', claimCode: '', publicKey: '' },
  };
  const early = makePng(24, 24, 131);
  const own = makePng(16, 16, 132);
  const shared = makePng(12, 12, 133);
  const recordIds = { early: '', own: '', shared: '' };

  let module: PatientClientModule;
  let serviceKey: Uint8Array;
  let patientClaimCode = '';
  let client: PatientClient;
  let recoveryCode = '';
  let patientKeyHex = '';
  let patientKeys: { encryptionPublicKey: string; signingPublicKey: string };
  let ledgers: EmbeddedLedgers | null = null;

  const api = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    token: string | null,
    json?: unknown,
  ): Promise<Answer<T>> => {
    const headers: Record<string, string> = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${service.baseUrl}/api/v1${path}`, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
  };

  /** A provider's plaintext read: the status and, on 200, the bytes; on an error, the problem's code. */
  const providerRead = async (
    token: string,
    recordId: string,
    chain: ChainName,
  ): Promise<{ status: number; bytes: Buffer; code?: string }> => {
    const response = await fetch(`${service.baseUrl}/api/v1/patients/${patientId}/records/${recordId}?chain=${chain}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status === 200) return { status: 200, bytes };
    return { status: response.status, bytes, code: (JSON.parse(bytes.toString('utf8')) as { code: string }).code };
  };

  /** A client signed in with the patient's token over a fresh, empty key store (another browser). */
  const newClient = async (): Promise<{ client: PatientClient; store: KeyStore }> => {
    const store = await module.openKeyStore();
    expect(await store.get(patientId)).toBeFalsy();
    return {
      store,
      client: new module.PatientClient({
        baseUrl: service.baseUrl,
        token: client.token,
        keyStore: store,
        trustedServiceKeys: [serviceKey],
      }),
    };
  };

  beforeAll(async () => {
    module = await loadPatientClient();
    await service.start();
    const logged = SERVICE_KEY_LOG.exec(service.logs());
    if (!logged) throw new Error('the service did not log its record-signing public key');
    serviceKey = hexToBytes(logged[1]);
  }, 120_000);

  afterAll(async () => {
    await service.stop();
    await ledgers?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('#13 admin creates two providers; alpha enrols the patient and uploads a PNG to both chains before the claim', async () => {
    for (const provider of Object.values(providers)) {
      const created = await api<{ claimCode: string; publicKey: string }>('POST', '/providers', adminToken, {
        providerId: provider.id,
        name: provider.name,
      });
      expect(created.status).toBe(201);
      expect(created.body.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
      provider.claimCode = created.body.claimCode;
      provider.publicKey = created.body.publicKey;
      provider.token = await service.claim(provider.claimCode);
    }
    const enrolled = await api<{ claimCode: string }>('POST', '/patients', providers.alpha.token, { patientId });
    expect(enrolled.status).toBe(201);
    patientClaimCode = enrolled.body.claimCode;

    const upload = await service.upload(patientId, providers.alpha.token, 'both', early, 'early.png');
    expect(upload.status).toBe(201);
    recordIds.early = ((await upload.json()) as { recordId: string }).recordId;
  }, 120_000);

  it('#13 PatientClient.claim, registerKeys: the earlier upload gets the patient slot on both chains and reads back in Node', async () => {
    client = await module.PatientClient.claim(patientClaimCode, {
      baseUrl: service.baseUrl,
      trustedServiceKeys: [serviceKey],
    });
    expect(client.patientId).toBe(patientId);
    const me = await client.me();
    expect(me.keys).toBeNull();
    patientKeyHex = me.patientKey;

    const registered = await client.registerKeys();
    expect(registered.stored).toBe(true);
    expect(registered.recoveryCode).toMatch(RECOVERY_CODE);
    // One re-wrap per ledger the early record is on: each chain's access ledger gets its own envelope.
    expect(registered.rewrapped).toBe(CHAIN_NAMES.length);
    recoveryCode = registered.recoveryCode;
    patientKeys = (await client.me()).keys as typeof patientKeys;
    expect(patientKeys.encryptionPublicKey).toMatch(/^0x04[0-9a-f]{128}$/);

    for (const chain of CHAIN_NAMES) {
      const page = await client.listSealed({ chain });
      expect(page.items.map((item) => item.recordId)).toEqual([recordIds.early]);
      // A sealed read merges the added envelopes of every reachable ledger: the two re-wraps differ (fresh
      // HPKE encapsulations), so both are listed; either opens the record.
      expect(page.items[0].addedKeyEnvelopes).toHaveLength(CHAIN_NAMES.length);
      expect(page.items[0].content).toBeUndefined();
      const read = await client.readSealed(recordIds.early, { chain });
      expect(read.sealed.signer.kind).toBe('service');
      expect(read.header).toMatchObject({
        fileName: 'early.png',
        contentType: 'image/png',
        uploader: providers.alpha.id,
      });
      expect(Buffer.from(read.bytes).equals(early)).toBe(true);
    }
  }, 120_000);

  it('#13 #14 the patient grants beta consent, signed in the client; an upload the client seals to [patient, epoch 0] is served to beta through its epoch slot', async () => {
    const granted = await client.grantConsent(providers.beta.id);
    expect(granted).toMatchObject({ providerId: providers.beta.id, active: true, expiresAt: null });
    expect([...granted.chains].sort()).toEqual([...CHAIN_NAMES].sort());
    const recipients = await api<{ recipients: { role: string; id: string }[] }>(
      'GET',
      `/patients/${patientId}/recipients?chain=supchain`,
      client.token,
    );
    expect(recipients.body.recipients.map((r) => `${r.role}:${r.id}`)).toEqual([
      `patient:${patientId}`,
      'epoch:epoch-0',
    ]);
    const answer = await client.upload({
      bytes: shared,
      fileName: 'shared.png',
      contentType: 'image/png',
      chain: 'supchain',
    });
    recordIds.shared = answer.recordId;
    const read = await providerRead(providers.beta.token, recordIds.shared, 'supchain');
    expect(read.status).toBe(200);
    expect(read.bytes.equals(shared)).toBe(true);
  }, 120_000);

  it('#13 #14 after the revocation (epoch 1, the patient alone) the patient uploads a PNG of their own with no consent in force: it reads back; no provider can be served it, not even in an emergency', async () => {
    await client.revokeConsent(providers.beta.id);
    const recipients = await api<{ recipients: { role: string; id: string }[] }>(
      'GET',
      `/patients/${patientId}/recipients?chain=both`,
      client.token,
    );
    expect(recipients.status).toBe(200);
    expect(recipients.body.recipients.map((r) => `${r.role}:${r.id}`)).toEqual([
      `patient:${patientId}`,
      'epoch:epoch-1',
    ]);

    const answer = await client.upload({ bytes: own, fileName: 'own.png', contentType: 'image/png', chain: 'both' });
    expect(answer).toMatchObject({ patientId, chain: 'both' });
    recordIds.own = answer.recordId;
    for (const chain of CHAIN_NAMES) {
      const read = await client.readSealed(recordIds.own, { chain });
      expect(read.sealed.signer.kind).toBe('patient');
      expect(read.sealed.signer.publicKey).toBe(patientKeys.signingPublicKey);
      expect(read.header).toMatchObject({ fileName: 'own.png', contentType: 'image/png', uploader: patientId });
      expect(Buffer.from(read.bytes).equals(own)).toBe(true);
    }
    // Neither provider holds consent: the plaintext endpoint refuses before any key is tried ...
    for (const provider of [providers.alpha, providers.beta]) {
      expect(await providerRead(provider.token, recordIds.own, 'supchain')).toMatchObject({
        status: 403,
        code: 'CONSENT_REQUIRED',
      });
    }
    // ... and an emergency read finds no key the service keeps (no uploader's slot): a clear refusal.
    const emergency = await fetch(
      `${service.baseUrl}/api/v1/patients/${patientId}/records/${recordIds.own}?chain=supchain`,
      { headers: { Authorization: `Bearer ${providers.beta.token}`, 'X-Break-Glass-Reason': 'Unconscious in ED' } },
    );
    expect(emergency.status).toBe(403);
    expect(((await emergency.json()) as { code: string }).code).toBe('RECORD_NOT_SHARED');
  }, 120_000);

  it('#13 a second client with a fresh key store restores the keys from the recovery code and reads all three records (the last through its epoch 1 slot); a wrong code fails and stores nothing', async () => {
    const restored = await newClient();
    await expect(restored.client.readSealed(recordIds.own, { chain: 'supchain' })).rejects.toMatchObject({
      code: 'NO_LOCAL_KEYS',
    });
    // As a patient might type it: lower case, spaces instead of dashes.
    const answer = await restored.client.restoreKeys(recoveryCode.toLowerCase().replace(/-/g, ' '));
    expect(answer).toEqual({
      encryptionPublicKey: patientKeys.encryptionPublicKey,
      signingPublicKey: patientKeys.signingPublicKey,
    });
    expect((await restored.store.get(patientId))?.encryption.privateKey.extractable).toBe(false);
    for (const [recordId, bytes, chain] of [
      [recordIds.early, early, 'medchain'],
      [recordIds.shared, shared, 'supchain'],
      [recordIds.own, own, 'medchain'],
    ] as const) {
      const read = await restored.client.readSealed(recordId, { chain });
      expect(Buffer.from(read.bytes).equals(bytes)).toBe(true);
    }

    const wrong = await newClient();
    let wrongCode = module.generateRecoveryCode();
    while (wrongCode === recoveryCode) wrongCode = module.generateRecoveryCode();
    await expect(wrong.client.restoreKeys(wrongCode)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    expect(await wrong.store.get(patientId)).toBeFalsy();
    await expect(wrong.client.readSealed(recordIds.own, { chain: 'supchain' })).rejects.toMatchObject({
      code: 'NO_LOCAL_KEYS',
    });
  }, 120_000);

  it('#13 operator-blind: with DATA_DIR, the master key, the writer keys, full RPC and the service code, no key opens the no-consent upload', async () => {
    await service.stop();
    // The operator's own view of the chains: the service's code path on the service's data directory.
    ledgers = await startEmbeddedLedgers({ dataDir, handleProcessSignals: false });
    const deployment = JSON.parse(readFileSync(join(dataDir, 'secrets', 'deployment.json'), 'utf8')) as {
      pseudonymSecret: string;
      signingPrivateKey: string;
    };
    for (const chain of CHAIN_NAMES) {
      const accounts = JSON.parse(readFileSync(join(dataDir, 'chains', chain, 'accounts.json'), 'utf8')) as {
        writerPrivateKey: string;
      };
      expect(ledgers.settings.find((s) => s.chain === chain)?.signerPrivateKey).toBe(accounts.writerPrivateKey);
    }

    const cipher = new HpkeP256Cipher();
    const principals = new FilePrincipalRepository(
      join(dataDir, 'principals.json'),
      PrincipalStoreKey.fromMasterKey(masterKey),
    );
    const vault = new FileKeyVault(join(dataDir, 'keys'), masterKey, cipher);
    const providerIds = (await principals.list('provider')).map((p) => p.id).sort();
    const patientIds = (await principals.list('patient')).map((p) => p.id);
    expect(providerIds).toEqual([providers.alpha.id, providers.beta.id].sort());
    expect(patientIds).toEqual([patientId]);

    // Every ref the code ever creates a key pair for (grep createKeyPair): principals and the access-note key.
    const refs = [
      principalRef('admin', 'admin'),
      ...providerIds.map((id) => principalRef('provider', id)),
      ...patientIds.map((id) => principalRef('patient', id)),
      ACCESS_NOTE_KEY_REF,
    ];
    const held = new Map<string, KeyPair>();
    for (const ref of refs) {
      const keyPair = await vault.keyPair(ref);
      if (keyPair) held.set(ref, keyPair);
    }
    for (const id of patientIds) expect(await vault.keyPair(principalRef('patient', id))).toBeNull();
    expect([...held.keys()].sort()).toEqual(
      [...providerIds.map((id) => principalRef('provider', id)), ACCESS_NOTE_KEY_REF].sort(),
    );
    // One file per resolving ref (names are HMACs of refs): no key file the refs do not account for.
    expect(readdirSync(join(dataDir, 'keys'))).toHaveLength(held.size);

    // The patient's backup is in DATA_DIR, but the code that opens it is nowhere there (raw or hex).
    expect(await principals.keyBackup(patientId)).toHaveLength(BACKUP_BYTES);
    const codeForms = [recoveryCode, recoveryCode.replace(/-/g, '')].flatMap((code) => [code, asHex(code)]);
    const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const entry of files) {
      const text = readFileSync(join(entry.parentPath, entry.name), 'latin1').toLowerCase();
      expect({ file: entry.name, found: codeForms.filter((form) => text.includes(form.toLowerCase())) }).toEqual({
        file: entry.name,
        found: [],
      });
    }

    // Every private key the operator holds, including the service's record-signing scalar tried as HPKE key.
    const signingScalar = hexToBytes(deployment.signingPrivateKey.replace(/^0x/, ''));
    const candidates: [string, KeyPair][] = [
      ...held,
      ['service:record-signing', { privateKey: signingScalar, publicKey: p256PublicKey(signingScalar) }],
    ];

    const patientKey = new HmacPseudonymizer(hexToBytes(deployment.pseudonymSecret)).patientKey(
      PatientId.parse(patientId),
    );
    expect(`0x${bytesToHex(patientKey)}`).toBe(patientKeyHex);

    const opened: string[] = [];
    for (const settings of ledgers.settings) {
      const repository = await EvmEmrRepository.connect(settings);
      try {
        // #14: the epoch keys any held key opens a slot of, read from the ledger's epoch events.
        const epochKeys: [string, KeyPair][] = [];
        for (const epoch of await repository.accessLedger().epochs(patientKey)) {
          for (const [ref, keyPair] of candidates) {
            const scalar = await cipher.tryUnwrap(epoch.slots, keyPair, epochAad(patientKey, epoch.index));
            if (scalar)
              epochKeys.push([
                `epoch-${epoch.index} via ${ref}`,
                { privateKey: scalar.bytes, publicKey: epoch.publicKey },
              ]);
          }
        }
        // Beta's grant slot in epoch 0; epoch 1, begun by the revocation, holds the patient's slot alone.
        expect(epochKeys.map(([ref]) => ref)).toEqual([`epoch-0 via ${principalRef('provider', providers.beta.id)}`]);
        const onChain = await repository.list(patientKey, { limit: 100 });
        const expected = settings.chain === 'supchain' ? 3 : 2;
        expect(onChain).toHaveLength(expected);
        expect(onChain.map((r) => r.recordId.hex)).toContain(recordIds.own);
        for (const record of onChain) {
          const aad = recordAad(patientKey, record.recordId);
          const added = await repository.accessLedger().recordKeysOf(patientKey, record.recordId);
          const envelopes = [record.keyEnvelope, ...added];
          for (const [ref, keyPair] of [...candidates, ...epochKeys]) {
            const dataKey = await cipher.tryUnwrap(envelopes, keyPair, aad);
            if (!dataKey) continue;
            // A key that unwraps must open the signed header too, or it is no key at all (spec §2).
            const header = await cipher.open(dataKey, record.sealedHeader, 0, aad).catch(() => null);
            if (header) opened.push(`${settings.chain} ${record.recordId.hex} ${ref}`);
          }
        }
      } finally {
        await repository.close();
      }
    }
    // The custodian keys and the epoch key beta was given open what providers were given (the tooling
    // works: it can succeed) ...
    const alphaRef = principalRef('provider', providers.alpha.id);
    const betaRef = principalRef('provider', providers.beta.id);
    expect(opened.sort()).toEqual(
      [
        `supchain ${recordIds.early} ${alphaRef}`,
        `medchain ${recordIds.early} ${alphaRef}`,
        `supchain ${recordIds.shared} epoch-0 via ${betaRef}`,
      ].sort(),
    );
    // ... and nothing opens the patient's own upload made with no consent in force, on either chain.
    expect(opened.filter((line) => line.includes(recordIds.own))).toEqual([]);
  }, 180_000);

  it('#13 chain scan: no id, name, token, claim code or recovery code, and no SHA-256 of a published encryption key on either chain', async () => {
    expect(ledgers).not.toBeNull();
    const texts = [
      adminToken,
      patientId,
      client.token,
      patientClaimCode,
      patientClaimCode.replace(/-/g, ''),
      recoveryCode,
      recoveryCode.replace(/-/g, ''),
      ...Object.values(providers).flatMap((p) => [p.id, p.name, p.token, p.claimCode, p.claimCode.replace(/-/g, '')]),
    ];
    // v1 envelopes named recipients by SHA-256(public key); v2 must not, for providers or the patient.
    const encryptionKeyIds = [patientKeys.encryptionPublicKey, providers.alpha.publicKey, providers.beta.publicKey].map(
      (key) => sha256Hex(hexToBytes(key.slice(2))),
    );
    // By design: a record's signerKeyId is SHA-256 of the signing key (the service's, or the patient's
    // for their own uploads), so the patient's signing key id is on chain. It shows the scan sees hashes.
    const patientSigningKeyId = sha256Hex(hexToBytes(patientKeys.signingPublicKey.slice(2)));
    for (const settings of ledgers!.settings) {
      const dump = await dumpChain(settings.rpcUrl);
      expect(dump).toContain(recordIds.own.slice(2));
      expect(dump).toContain(patientSigningKeyId);
      const found = [
        ...texts.filter((text) => dump.includes(asHex(text)) || dump.includes(text.toLowerCase())),
        ...encryptionKeyIds.filter((keyId) => dump.includes(keyId)),
      ];
      expect({ chain: settings.chain, found }).toEqual({ chain: settings.chain, found: [] });
    }
  }, 180_000);
});
