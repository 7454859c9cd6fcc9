import { INestApplication } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { bytesToHex } from '../../src/domain/bytes';
import { HpkeP256Cipher } from '../../src/infrastructure/crypto/hpke-p256.cipher';
import { generateP256PrivateKey } from '../../src/infrastructure/secrets/deployment-secrets';
import { FileKeyVault } from '../../src/infrastructure/vault/file.key-vault';
import { makePng } from '../support/files';
import { claimToken } from '../support/actors';

/** Every file under `dir`, as bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, bytes: readFileSync(path) };
    });
}

/**
 * How `secret` could sit in a file: raw, hex (either case), base64 / base64url at each of the three
 * alignments (a byte string inside a longer base64 text is encoded differently by its offset mod 3).
 */
function findSecret(file: Buffer, secret: string): string | null {
  const bytes = Buffer.from(secret, 'utf8');
  if (file.includes(bytes)) return 'raw';
  const text = file.toString('latin1');
  if (text.toLowerCase().includes(secret.toLowerCase())) return 'raw, other case';
  const hex = bytes.toString('hex');
  if (text.includes(hex) || text.includes(hex.toUpperCase())) return 'hex';
  for (let skip = 0; skip < 3; skip++) {
    const aligned = bytes.subarray(skip, skip + Math.floor((bytes.length - skip) / 3) * 3);
    if (text.includes(aligned.toString('base64'))) return `base64+${skip}`;
    if (text.includes(aligned.toString('base64url'))) return `base64url+${skip}`;
  }
  return null;
}

/** "<secret> as <encoding> in <file>" for each secret found anywhere under `dir`. */
function exposures(dir: string, secrets: readonly string[]): string[] {
  return filesUnder(dir).flatMap(({ path, bytes }) =>
    secrets.flatMap((secret) => {
      const found = findSecret(bytes, secret);
      return found ? [`${secret} as ${found} in ${path.slice(dir.length)}`] : [];
    }),
  );
}

const TOKEN = /emr_[A-Za-z0-9_-]{43}/;

/** The real AppModule, configured from `env` alone (a fresh module registry, so config is read again). */
async function startApp(env: Record<string, string>): Promise<{ app: INestApplication; printed: string }> {
  jest.resetModules();
  for (const name of ['ADMIN_TOKEN', 'KEY_VAULT_MASTER_KEY', 'KEY_VAULT_MASTER_KEY_FILE']) delete process.env[name];
  Object.assign(process.env, { LEDGER_BACKEND: 'memory', LOG_LEVEL: 'error', ...env });
  let printed = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += chunk.toString();
    return true;
  });
  try {
    // After resetModules, Nest itself must come from the fresh registry too.
    const { Test } = await import('@nestjs/testing');
    const { AppModule } = await import('../../src/app/app.module');
    const { configureApp } = await import('../../src/interfaces/http/configure-app');
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .setLogger({ log: () => undefined, warn: () => undefined, error: () => undefined })
      .compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    configureApp(app);
    await app.init();
    return { app, printed };
  } finally {
    write.mockRestore();
  }
}

async function me(app: INestApplication, token: string): Promise<{ id: string; role: string }> {
  const response = await request(app.getHttpServer()).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
  expect(response.status).toBe(200);
  const { id, role } = response.body as { id: string; role: string };
  return { id, role };
}

/** A provider and a patient with ids and names no file can hold by chance; one record uploaded and read back. */
async function useTheService(app: INestApplication, adminToken: string, tag: string) {
  const providerId = `prov-${tag}-${randomBytes(8).toString('hex')}`;
  const providerName = `Clinic Name ${tag} ${randomBytes(8).toString('hex')}`;
  const patientId = `PAT-${tag}-${randomBytes(8).toString('hex')}`;
  const server = app.getHttpServer();
  const provider = await request(server)
    .post('/api/v1/providers')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ providerId, name: providerName });
  expect(provider.status).toBe(201);
  const providerToken = await claimToken(server, provider.body.claimCode as string);
  const auth = { Authorization: `Bearer ${providerToken}` };
  const patient = await request(server).post('/api/v1/patients').set(auth).send({ patientId });
  expect(patient.status).toBe(201);
  const patientToken = await claimToken(server, patient.body.claimCode as string);
  const png = makePng(8, 8, 3);
  const upload = await request(server)
    .post(`/api/v1/patients/${patientId}/records`)
    .set(auth)
    .field('chain', 'supchain')
    .attach('file', png, { filename: 'scan.png', contentType: 'image/png' });
  expect(upload.status).toBe(201);
  const back = await request(server).get(`/api/v1/patients/${patientId}/records/latest?chain=supchain`).set(auth);
  expect(back.status).toBe(200);
  expect(Buffer.compare(back.body as Buffer, png)).toBe(0);
  return {
    providerId,
    providerName,
    patientId,
    providerToken,
    patientToken,
  };
}

describe('What the data directory exposes (in-memory ledgers)', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'emr-exposure-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('finds a secret written raw, in hex or in base64 at any offset (the check can fail)', () => {
    const secret = `PAT-probe-${randomBytes(8).toString('hex')}`;
    for (const offset of [0, 1, 2]) {
      const embedded = Buffer.concat([randomBytes(offset), Buffer.from(secret), randomBytes(5)]);
      expect(findSecret(Buffer.from(JSON.stringify({ b: embedded.toString('base64') })), secret)).not.toBeNull();
    }
    expect(findSecret(Buffer.from(`"${Buffer.from(secret).toString('hex')}"`), secret)).toBe('hex');
    expect(findSecret(randomBytes(4096), secret)).toBeNull();
  });

  it('#11.11 holds no admin token and no patient or provider id or name in clear; the token is printed once at creation', async () => {
    const dataDir = newDir();
    const first = await startApp({ DATA_DIR: dataDir });
    const adminToken = TOKEN.exec(first.printed)?.[0];
    expect(adminToken).toBeDefined();
    let used: Awaited<ReturnType<typeof useTheService>>;
    try {
      expect(await me(first.app, adminToken!)).toEqual({ id: 'admin', role: 'admin' });
      used = await useTheService(first.app, adminToken!, 'fresh');
    } finally {
      await first.app.close();
    }

    const secrets = [
      adminToken!,
      used.providerToken,
      used.patientToken,
      used.providerId,
      used.providerName,
      used.patientId,
    ];
    expect(exposures(dataDir, secrets)).toEqual([]);

    // A restart reads the same state: everybody's token still works; no token is printed again.
    const second = await startApp({ DATA_DIR: dataDir });
    try {
      expect(second.printed).not.toMatch(TOKEN);
      expect(await me(second.app, adminToken!)).toEqual({ id: 'admin', role: 'admin' });
      expect(await me(second.app, used.providerToken)).toEqual({ id: used.providerId, role: 'provider' });
      expect(await me(second.app, used.patientToken)).toEqual({ id: used.patientId, role: 'patient' });
      await useTheService(second.app, adminToken!, 'again');
    } finally {
      await second.app.close();
    }
  });

  it('#11.11 migrates an earlier data directory: plain admin token and principals in clear become hashes and seals, keys still open', async () => {
    const dataDir = newDir();
    const secretsDir = join(dataDir, 'secrets');
    mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
    const masterKey = randomBytes(32);
    // The layout an earlier version left: every secret in secrets/deployment.json, the token in clear.
    writeFileSync(
      join(secretsDir, 'deployment.json'),
      JSON.stringify({
        version: 1,
        pseudonymSecret: randomBytes(32).toString('hex'),
        signingPrivateKey: bytesToHex(generateP256PrivateKey()),
        keyVaultMasterKey: masterKey.toString('hex'),
      }),
      { mode: 0o600 },
    );
    const adminToken = `emr_${randomBytes(32).toString('base64url')}`;
    writeFileSync(join(secretsDir, 'admin-token'), `${adminToken}\n`, { mode: 0o600 });
    const providerId = `prov-old-${randomBytes(8).toString('hex')}`;
    const providerName = `Old Clinic ${randomBytes(8).toString('hex')}`;
    const providerToken = `emr_${randomBytes(32).toString('base64url')}`;
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    writeFileSync(
      join(dataDir, 'principals.json'),
      JSON.stringify({
        principals: [
          {
            role: 'provider',
            id: providerId,
            name: providerName,
            createdAt: '2026-01-02T03:04:05.000Z',
            tokenHash: sha256(providerToken),
          },
        ],
      }),
      { mode: 0o600 },
    );
    await new FileKeyVault(join(dataDir, 'keys'), masterKey, new HpkeP256Cipher()).createKeyPair(
      `provider:${providerId}`,
    );

    const migrated = await startApp({ DATA_DIR: dataDir });
    try {
      expect(migrated.printed).not.toMatch(TOKEN);
      expect(await me(migrated.app, adminToken)).toEqual({ id: 'admin', role: 'admin' });
      expect(await me(migrated.app, providerToken)).toEqual({ id: providerId, role: 'provider' });
      // The provider's vault key still opens (under the master key at its earlier location): it seals the upload.
      const patientId = `PAT-old-${randomBytes(8).toString('hex')}`;
      const auth = { Authorization: `Bearer ${providerToken}` };
      const server = migrated.app.getHttpServer();
      expect((await request(server).post('/api/v1/patients').set(auth).send({ patientId })).status).toBe(201);
      const upload = await request(server)
        .post(`/api/v1/patients/${patientId}/records`)
        .set(auth)
        .field('chain', 'medchain')
        .attach('file', makePng(4, 4), { filename: 'x.png', contentType: 'image/png' });
      expect(upload.status).toBe(201);
      const back = await request(server).get(`/api/v1/patients/${patientId}/records/latest?chain=medchain`).set(auth);
      expect(back.status).toBe(200);
      expect(exposures(dataDir, [adminToken, providerToken, providerId, providerName, patientId])).toEqual([]);
      expect(existsSync(join(secretsDir, 'admin-token'))).toBe(false);
    } finally {
      await migrated.app.close();
    }

    const again = await startApp({ DATA_DIR: dataDir });
    try {
      expect(await me(again.app, adminToken)).toEqual({ id: 'admin', role: 'admin' });
      expect(await me(again.app, providerToken)).toEqual({ id: providerId, role: 'provider' });
    } finally {
      await again.app.close();
    }
  });

  it('#11.11 a configured KEY_VAULT_MASTER_KEY (or its file) is used and never written into the data directory', async () => {
    const dataDir = newDir();
    const keyDir = newDir();
    const masterKey = randomBytes(32).toString('hex');
    const keyFile = join(keyDir, 'vault-master-key');
    writeFileSync(keyFile, `${masterKey}\n`, { mode: 0o600 });
    const adminToken = `admin-${randomBytes(24).toString('hex')}`;
    const first = await startApp({ DATA_DIR: dataDir, KEY_VAULT_MASTER_KEY_FILE: keyFile, ADMIN_TOKEN: adminToken });
    let used: Awaited<ReturnType<typeof useTheService>>;
    try {
      used = await useTheService(first.app, adminToken, 'keyfile');
    } finally {
      await first.app.close();
    }
    expect(exposures(dataDir, [masterKey, adminToken, used.providerId, used.patientId])).toEqual([]);

    // The same key given as the variable opens the same vault; a different one does not start.
    const second = await startApp({ DATA_DIR: dataDir, KEY_VAULT_MASTER_KEY: masterKey, ADMIN_TOKEN: adminToken });
    try {
      expect(await me(second.app, used.providerToken)).toEqual({ id: used.providerId, role: 'provider' });
    } finally {
      await second.app.close();
    }
    await expect(
      startApp({ DATA_DIR: dataDir, KEY_VAULT_MASTER_KEY: randomBytes(32).toString('hex'), ADMIN_TOKEN: adminToken }),
    ).rejects.toThrow(/KEY_VAULT_MASTER_KEY/);
  });
});
