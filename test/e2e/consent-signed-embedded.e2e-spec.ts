import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { PatientAccessRegistry__factory } from '../../typechain-types';
import { bytesToHex, hexToBytes } from '../../src/domain/bytes';
import { ChainName, CHAIN_NAMES } from '../../src/domain/chain-name';
import { ConsentAction, consentMessage, grantDataHash, revokeDataHash } from '../../src/domain/consent-message';
import { epochAad } from '../../src/domain/epoch-aad';
import { KeyPair } from '../../src/domain/ports/cipher.port';
import { principalRef } from '../../src/domain/principal';
import { decodeHeader, recordAad } from '../../src/domain/record-codec';
import { RecordId } from '../../src/domain/record-id';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { EmbeddedLedgers, startEmbeddedLedgers } from '../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from '../../src/infrastructure/evm/evm-emr.repository';
import { FileKeyVault } from '../../src/infrastructure/vault/file.key-vault';
import { ACTION_GRANT, generatePatientSigningKey, signMessage, verifyMessage } from '../support/consent-signature';
import { makePng } from '../support/files';
import { embeddedRpcUrls } from '../support/fhir/mhd';
import { ConsentContextJson } from '../support/patient-keys';
import { loadPatientClient, PatientClient, PatientClientModule } from '../support/patient-client-module';
import { ServiceProcess } from '../support/service-process';

const SERVICE_KEY_LOG = /Records are signed with public key 0x([0-9a-f]{130})/;
const BREAK_GLASS_REASON = 'Unconscious in the emergency department, no relatives reachable';
/** A one-slot v2 key envelope (an epoch slot as the browser makes it), bytes. */
const EPOCH_SLOT_BYTES = 115;
const HEADER_PART = 0;
const CONTENT_PART = 1;

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());
const hex = (bytes: Uint8Array): string => `0x${bytesToHex(bytes)}`;
const fromHex = (text: string): Uint8Array => hexToBytes(text.replace(/^0x/, ''));
const fromB64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

interface EpochJson {
  index: number;
  publicKey: string;
  slots: string[];
}

/**
 * Issue 14 end to end on the embedded anvil chains (the real service in a child process), with every
 * signature made by the page's client module (PatientClient in Node): (a) the consent story of the
 * access issue — refused, signed grant, reads, signed revoke, refused, emergency read flagged — and
 * the history re-verified; (b) the operator's own writer key sending a grant with a forged signature
 * straight to the contract, which reverts; (c) with the service stopped, a provider's key taken from
 * the vault (as the operator could) and the cipher alone, no service check on the way: what was
 * written before the revocation opens through the provider's epoch slot, what was written after does
 * not. One story: each test builds on the one before.
 */
describe('#14 signed consent on the embedded chains: the patient signs, the contract verifies, the keys enforce revocation', () => {
  const tag = randomBytes(6).toString('hex');
  const adminToken = `admin-${randomBytes(24).toString('hex')}`;
  const masterKey = randomBytes(32);
  const dataDir = mkdtempSync(join(tmpdir(), 'emr-h14-'));
  const service = new ServiceProcess({
    LEDGER_BACKEND: 'embedded',
    DATA_DIR: dataDir,
    ADMIN_TOKEN: adminToken,
    KEY_VAULT_MASTER_KEY: masterKey.toString('hex'),
  });
  const patientId = `P-14-${tag}`;
  const alpha = { id: `alpha-14-${tag}`, token: '' };
  const beta = { id: `beta-14-${tag}`, token: '' };
  const before = makePng(20, 20, 141);
  const after = makePng(18, 18, 142);
  const own = makePng(14, 14, 143);
  const recordIds = { before: '', after: '', own: '' };

  let module: PatientClientModule;
  let client: PatientClient;
  let patientKey: Uint8Array;
  let signingPublicKey: Uint8Array;
  let ledgers: EmbeddedLedgers | null = null;

  const api = async <T>(method: string, path: string, token: string, json?: unknown): Promise<T> => {
    const response = await fetch(`${service.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  /** A provider's plaintext read: the status and, on 200, the bytes; on an error, the problem's code. */
  const providerRead = async (
    token: string,
    recordId: string,
    chain: ChainName,
    reason?: string,
  ): Promise<{ status: number; bytes: Buffer; code?: string }> => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (reason) headers['X-Break-Glass-Reason'] = reason;
    const response = await fetch(`${service.baseUrl}/api/v1/patients/${patientId}/records/${recordId}?chain=${chain}`, {
      headers,
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    if (response.status === 200) return { status: 200, bytes };
    return { status: response.status, bytes, code: (JSON.parse(bytes.toString('utf8')) as { code: string }).code };
  };

  const providerUpload = async (token: string, bytes: Buffer, fileName: string): Promise<string> => {
    const response = await service.upload(patientId, token, 'both', bytes, fileName);
    expect(response.status).toBe(201);
    return ((await response.json()) as { recordId: string }).recordId;
  };

  beforeAll(async () => {
    module = await loadPatientClient();
    await service.start();
  }, 120_000);

  afterAll(async () => {
    await service.stop();
    await ledgers?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('#14 setup: two providers; alpha enrols the patient, who claims and registers keys (epoch 0) in the client; alpha uploads to both chains, sealed to [epoch 0, alpha]', async () => {
    alpha.token = await service.provider(adminToken, alpha.id);
    beta.token = await service.provider(adminToken, beta.id);
    const enrolled = await service.postJson<{ claimCode: string }>('/patients', alpha.token, { patientId });
    const logged = SERVICE_KEY_LOG.exec(service.logs());
    if (!logged) throw new Error('the service did not log its record-signing public key');
    client = await module.PatientClient.claim(enrolled.claimCode, {
      baseUrl: service.baseUrl,
      trustedServiceKeys: [hexToBytes(logged[1])],
    });
    const registered = await client.registerKeys();
    expect(registered.stored).toBe(true);
    const me = await client.me();
    patientKey = fromHex(me.patientKey);
    signingPublicKey = fromHex((me.keys as { signingPublicKey: string }).signingPublicKey);

    recordIds.before = await providerUpload(alpha.token, before, 'before.png');
    // The patient holds no slot of the uploader's key: the record opens in the client through epoch 0.
    const read = await client.readSealed(recordIds.before, { chain: 'medchain' });
    expect(read.header).toMatchObject({ fileName: 'before.png', uploader: alpha.id });
    expect(Buffer.from(read.bytes).equals(before)).toBe(true);
  }, 120_000);

  it('#14 (a) the consent story, signed by the client module: beta refused → grant → reads → revoke → refused → emergency read served and flagged in the access log', async () => {
    for (const chain of CHAIN_NAMES) {
      expect(await providerRead(beta.token, recordIds.before, chain)).toMatchObject({
        status: 403,
        code: 'CONSENT_REQUIRED',
      });
    }

    const granted = await client.grantConsent(beta.id);
    expect(granted).toMatchObject({ providerId: beta.id, active: true, expiresAt: null });
    expect([...granted.chains].sort()).toEqual([...CHAIN_NAMES].sort());
    for (const chain of CHAIN_NAMES) {
      const read = await providerRead(beta.token, recordIds.before, chain);
      expect(read.status).toBe(200);
      expect(read.bytes.equals(before)).toBe(true);
    }

    await client.revokeConsent(beta.id);
    expect(await api<unknown[]>('GET', `/patients/${patientId}/consents`, client.token)).toEqual([]);
    for (const chain of CHAIN_NAMES) {
      expect(await providerRead(beta.token, recordIds.before, chain)).toMatchObject({
        status: 403,
        code: 'CONSENT_REQUIRED',
      });
    }

    // After the revocation alpha's upload is sealed to [epoch 1, alpha]: beta has no slot, but an
    // emergency read is served through the uploader's slot, which the service keeps.
    recordIds.after = await providerUpload(alpha.token, after, 'after.png');
    expect(await providerRead(beta.token, recordIds.after, 'supchain')).toMatchObject({
      status: 403,
      code: 'CONSENT_REQUIRED',
    });
    const emergency = await providerRead(beta.token, recordIds.after, 'supchain', BREAK_GLASS_REASON);
    expect(emergency.status).toBe(200);
    expect(emergency.bytes.equals(after)).toBe(true);

    const log = await api<{ accessorId: string; kind: string; emergency: boolean; recordId: string | null }[]>(
      'GET',
      `/patients/${patientId}/access-log`,
      client.token,
    );
    const byBeta = log.filter((entry) => entry.accessorId === beta.id);
    expect(byBeta.filter((entry) => entry.emergency)).toEqual([
      expect.objectContaining({
        accessorRole: 'provider',
        chain: 'supchain',
        recordId: recordIds.after,
        kind: 'emergency',
        reason: BREAK_GLASS_REASON,
      }),
    ]);
    expect(
      byBeta
        .filter((entry) => !entry.emergency)
        .map((entry) => `${entry.kind} ${entry.recordId}`)
        .sort(),
    ).toEqual(CHAIN_NAMES.map(() => `consent ${recordIds.before}`));
  }, 180_000);

  it('#14 (a) the consent history verifies in the client, and in Node over the message rebuilt from the ledgers’ domain and epoch data', async () => {
    const history = await client.consentHistory();
    expect(
      history.map((change) => `${change.chain} ${change.action} ${change.providerId} ${change.nonce}`).sort(),
    ).toEqual(CHAIN_NAMES.flatMap((chain) => [`${chain} grant ${beta.id} 0`, `${chain} revoke ${beta.id} 1`]).sort());
    expect(history.every((change) => change.verified)).toBe(true);

    const context = await api<ConsentContextJson>(
      'GET',
      `/patients/${patientId}/consent-context?providerId=${beta.id}`,
      client.token,
    );
    const epochs = await api<EpochJson[]>('GET', `/patients/${patientId}/epochs`, client.token);
    expect(epochs.map((epoch) => [epoch.index, epoch.slots.length])).toEqual([
      [0, 2], // the patient's, and beta's from the grant
      [1, 1], // the patient's alone: the revocation left no provider consented
    ]);
    const [x, y] = [hex(signingPublicKey.subarray(1, 33)), hex(signingPublicKey.subarray(33))];
    for (const change of history) {
      const ledger = context.ledgers.find((candidate) => candidate.chain === change.chain)!;
      const grant = change.action === 'grant';
      const expected = consentMessage({
        chainId: BigInt(ledger.chainId),
        registry: ledger.registry,
        action: grant ? ConsentAction.Grant : ConsentAction.Revoke,
        patientKey,
        providerKey: fromHex(context.provider!.providerKey),
        expiresAt: 0n,
        nonce: BigInt(change.nonce),
        dataHash: grant
          ? grantDataHash(fromB64(epochs[0].slots[1]), sha256)
          : revokeDataHash(fromHex(epochs[1].publicKey), epochs[1].slots.map(fromB64), sha256),
      });
      expect(change.message).toBe(hex(expected));
      expect(verifyMessage(x, y, change.message, change)).toBe(true);
      // The check can fail: one byte of the message changed, and the signature no longer verifies.
      const tampered = Uint8Array.from(expected);
      tampered[tampered.length - 1] ^= 1;
      expect(verifyMessage(x, y, tampered, change)).toBe(false);
    }
  }, 120_000);

  it('#14 (b) grantConsent sent straight to the contract with the writer key and a forged signature reverts (custom error decoded); a replayed real signature reverts as stale', async () => {
    const context = await api<ConsentContextJson>(
      'GET',
      `/patients/${patientId}/consent-context?providerId=${beta.id}`,
      client.token,
    );
    const betaKey = context.provider!.providerKey;
    const history = await client.consentHistory();
    const epochs = await api<EpochJson[]>('GET', `/patients/${patientId}/epochs`, client.token);
    const rpcUrls = embeddedRpcUrls(service.logs());
    for (const chain of CHAIN_NAMES) {
      const chainDir = join(dataDir, 'chains', chain);
      const { writerPrivateKey } = JSON.parse(readFileSync(join(chainDir, 'accounts.json'), 'utf8')) as {
        writerPrivateKey: string;
      };
      const { accessRegistryAddress } = JSON.parse(readFileSync(join(chainDir, 'deployment.json'), 'utf8')) as {
        accessRegistryAddress: string;
      };
      const ledger = context.ledgers.find((candidate) => candidate.chain === chain)!;
      expect(accessRegistryAddress.toLowerCase()).toBe(ledger.registry.toLowerCase());
      const provider = new JsonRpcProvider(rpcUrls[chain], Number(ledger.chainId), {
        staticNetwork: true,
        cacheTimeout: -1,
      });
      try {
        const access = PatientAccessRegistry__factory.connect(
          accessRegistryAddress,
          new Wallet(writerPrivateKey, provider),
        );
        const nonce = await access.consentNonce(patientKey);
        expect(nonce).toBe(2n);

        // The operator's forgery: the right message and nonce, a signature by a key that is not the patient's.
        const slot = randomBytes(EPOCH_SLOT_BYTES);
        const message = await access.consentMessage(ACTION_GRANT, patientKey, betaKey, 0, nonce, sha256(slot));
        const forged = signMessage(generatePatientSigningKey(), message);
        const forgery = await access.grantConsent(patientKey, betaKey, 0, nonce, forged.r, forged.s, slot).then(
          () => null,
          (error: { code?: string; data?: string }) => error,
        );
        expect(forgery).toMatchObject({ code: 'CALL_EXCEPTION' });
        const decoded = access.interface.parseError(forgery!.data!);
        expect({ name: decoded?.name, patientKey: decoded?.args[0] }).toEqual({
          name: 'PatientAccessRegistryBadSignature',
          patientKey: hex(patientKey),
        });

        // The patient's own grant replayed (its signature, nonce and slot as the ledger recorded them).
        const recorded = history.find((change) => change.chain === chain && change.action === 'grant')!;
        const replay = await access
          .grantConsent(
            patientKey,
            betaKey,
            0,
            BigInt(recorded.nonce),
            recorded.r,
            recorded.s,
            fromB64(epochs[0].slots[1]),
          )
          .then(
            () => null,
            (error: { code?: string; data?: string }) => error,
          );
        expect(replay).toMatchObject({ code: 'CALL_EXCEPTION' });
        const stale = access.interface.parseError(replay!.data!);
        expect({ name: stale?.name, expected: stale?.args[0], given: stale?.args[1] }).toEqual({
          name: 'PatientAccessRegistryStaleNonce',
          expected: 2n,
          given: 0n,
        });

        expect(await access.consentNonce(patientKey)).toBe(2n);
        expect(await access.epochSlotHashes(patientKey, 1)).toHaveLength(1);
      } finally {
        provider.destroy();
      }
      expect(await providerRead(beta.token, recordIds.before, chain)).toMatchObject({
        status: 403,
        code: 'CONSENT_REQUIRED',
      });
    }
  }, 120_000);

  it('#14 (c) beta’s key from the vault and the cipher alone, no service check: beta’s epoch keys from the ledgers’ slots open the record written before the revocation, not those written after', async () => {
    const answer = await client.upload({ bytes: own, fileName: 'own.png', contentType: 'image/png', chain: 'both' });
    recordIds.own = answer.recordId;
    await service.stop();
    ledgers = await startEmbeddedLedgers({ dataDir, handleProcessSignals: false });
    const cipher = new HpkeP256Cipher();
    const vault = new FileKeyVault(join(dataDir, 'keys'), masterKey, cipher);
    const betaKeys = await vault.keyPair(principalRef('provider', beta.id));
    const alphaKeys = await vault.keyPair(principalRef('provider', alpha.id));
    if (!betaKeys || !alphaKeys) throw new Error('the vault holds no key for the providers');

    /** The record's plaintext through the first key that unwraps its envelope and opens its header; null if none. */
    const open = async (
      repository: EvmEmrRepository,
      recordId: string,
      keys: readonly KeyPair[],
    ): Promise<Uint8Array | null> => {
      const record = await repository.findById(patientKey, RecordId.parse(recordId));
      if (!record) throw new Error(`record ${recordId} is not on ${repository.chain}`);
      const aad = recordAad(patientKey, record.recordId);
      for (const key of keys) {
        const dataKey = await cipher.tryUnwrap([record.keyEnvelope], key, aad);
        if (!dataKey) continue;
        decodeHeader(await cipher.open(dataKey, record.sealedHeader, HEADER_PART, aad));
        return cipher.open(dataKey, await repository.readContent(record), CONTENT_PART, aad);
      }
      return null;
    };

    for (const settings of ledgers.settings) {
      const repository = await EvmEmrRepository.connect(settings);
      try {
        // Trial-open every slot of every epoch with beta's own key, as a provider's reader does.
        const epochs = await repository.accessLedger().epochs(patientKey);
        expect(epochs.map((epoch) => epoch.index)).toEqual([0, 1]);
        const betaEpochKeys: KeyPair[] = [];
        for (const epoch of epochs) {
          const scalar = await cipher.tryUnwrap(epoch.slots, betaKeys, epochAad(patientKey, epoch.index));
          if (scalar) betaEpochKeys.push({ privateKey: scalar.bytes, publicKey: epoch.publicKey });
        }
        expect(betaEpochKeys.map((key) => hex(key.publicKey))).toEqual([hex(epochs[0].publicKey)]);
        const betaHolds = [betaKeys, ...betaEpochKeys];

        const opened = await open(repository, recordIds.before, betaHolds);
        expect(opened && Buffer.from(opened).equals(before)).toBe(true);
        expect(await open(repository, recordIds.after, betaHolds)).toBeNull();
        expect(await open(repository, recordIds.own, betaHolds)).toBeNull();
        // The tooling can open them: the uploader's key opens alpha's record after the revocation.
        const byAlpha = await open(repository, recordIds.after, [alphaKeys]);
        expect(byAlpha && Buffer.from(byAlpha).equals(after)).toBe(true);
      } finally {
        await repository.close();
      }
    }
  }, 180_000);
});
