import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateEnvironment } from './validate-environment';

describe('validateEnvironment', () => {
  it('needs no configuration at all', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(3000);
    expect(env.LEDGER_BACKEND).toBe('embedded');
    expect(env.MAX_UPLOAD_BYTES).toBe(10 * 1024 * 1024);
    expect(env.DATA_DIR).toBe('./data');
  });

  it('converts numbers and booleans', () => {
    const env = validateEnvironment({ PORT: '8080', MAX_UPLOAD_BYTES: '1024', TRUST_PROXY: 'true' });
    expect(env.PORT).toBe(8080);
    expect(env.MAX_UPLOAD_BYTES).toBe(1024);
    expect(env.TRUST_PROXY).toBe(true);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LEDGER_BACKEND: 'mongodb' }, 'LEDGER_BACKEND'],
    [{ MAX_UPLOAD_BYTES: '0' }, 'MAX_UPLOAD_BYTES'],
    [{ SUPCHAIN_CHAIN_ID: 'x' }, 'SUPCHAIN_CHAIN_ID'],
  ])('stops on %j naming the variable', (raw, name) => {
    expect(() => validateEnvironment(raw)).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('#11.6 has server timeouts by default (headers 20 s, request 5 min, keep-alive 5 s) and refuses unworkable ones', () => {
    const env = validateEnvironment({});
    expect(env.HTTP_HEADERS_TIMEOUT_MS).toBe(20_000);
    expect(env.HTTP_REQUEST_TIMEOUT_MS).toBe(300_000);
    expect(env.HTTP_KEEP_ALIVE_TIMEOUT_MS).toBe(5_000);
    expect(validateEnvironment({ HTTP_HEADERS_TIMEOUT_MS: '1000' }).HTTP_HEADERS_TIMEOUT_MS).toBe(1000);
    expect(() => validateEnvironment({ HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/\bHTTP_REQUEST_TIMEOUT_MS\b/);
    expect(() => validateEnvironment({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '0' })).toThrow(/\bHTTP_KEEP_ALIVE_TIMEOUT_MS\b/);
    expect(() => validateEnvironment({ HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' })).toThrow(
      /HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it('#11.3 gives providers 10 break-glass reads an hour unless configured', () => {
    expect(validateEnvironment({}).BREAK_GLASS_PER_HOUR).toBe(10);
    expect(validateEnvironment({ BREAK_GLASS_PER_HOUR: '3' }).BREAK_GLASS_PER_HOUR).toBe(3);
    expect(() => validateEnvironment({ BREAK_GLASS_PER_HOUR: '0' })).toThrow(/\bBREAK_GLASS_PER_HOUR\b/);
  });

  it('#13 claim codes last 168 hours and 10 failed claims an hour are allowed, unless configured', () => {
    expect(validateEnvironment({}).CLAIM_CODE_TTL_HOURS).toBe(168);
    expect(validateEnvironment({}).CLAIM_ATTEMPTS_PER_HOUR).toBe(10);
    expect(validateEnvironment({ CLAIM_CODE_TTL_HOURS: '24' }).CLAIM_CODE_TTL_HOURS).toBe(24);
    expect(() => validateEnvironment({ CLAIM_CODE_TTL_HOURS: '0' })).toThrow(/\bCLAIM_CODE_TTL_HOURS\b/);
    expect(() => validateEnvironment({ CLAIM_ATTEMPTS_PER_HOUR: 'x' })).toThrow(/\bCLAIM_ATTEMPTS_PER_HOUR\b/);
  });

  it('names a bad secret without echoing its value', () => {
    const secret = 'not-hex-' + 'z'.repeat(56);
    let message = '';
    try {
      validateEnvironment({ SIGNING_PRIVATE_KEY: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('SIGNING_PRIVATE_KEY');
    expect(message).not.toContain(secret);
  });

  it('accepts earlier signing public keys as a comma-separated list and refuses anything else', () => {
    const key = (byte: string) => `04${byte.repeat(64)}`;
    expect(
      validateEnvironment({ TRUSTED_SIGNING_PUBLIC_KEYS: `0x${key('ab')}, ${key('cd')}` }).TRUSTED_SIGNING_PUBLIC_KEYS,
    ).toBe(`0x${key('ab')}, ${key('cd')}`);
    expect(validateEnvironment({}).TRUSTED_SIGNING_PUBLIC_KEYS).toBe('');
    for (const bad of [`03${'ab'.repeat(32)}`, `${key('ab')},`, key('ab').slice(0, -2), 'zz']) {
      expect(() => validateEnvironment({ TRUSTED_SIGNING_PUBLIC_KEYS: bad })).toThrow(/TRUSTED_SIGNING_PUBLIC_KEYS/);
    }
  });

  it('requires a complete chain configuration for LEDGER_BACKEND=rpc', () => {
    expect(() => validateEnvironment({ LEDGER_BACKEND: 'rpc' })).toThrow(/SUPCHAIN_RPC_URL or MEDCHAIN_RPC_URL/);
    expect(() => validateEnvironment({ LEDGER_BACKEND: 'rpc', SUPCHAIN_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(
      /SUPCHAIN_CHAIN_ID, SUPCHAIN_REGISTRY_ADDRESS, SUPCHAIN_ACCESS_REGISTRY_ADDRESS, SUPCHAIN_PRIVATE_KEY/,
    );
  });

  describe('the key-vault master key', () => {
    const masterKey = 'ef'.repeat(32);
    const rpc = {
      LEDGER_BACKEND: 'rpc',
      SUPCHAIN_RPC_URL: 'http://127.0.0.1:8545',
      SUPCHAIN_CHAIN_ID: '5',
      SUPCHAIN_REGISTRY_ADDRESS: '0x' + '1'.repeat(40),
      SUPCHAIN_ACCESS_REGISTRY_ADDRESS: '0x' + '2'.repeat(40),
      SUPCHAIN_PRIVATE_KEY: 'ab'.repeat(32),
    };
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'emr-master-key-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('#11.11 LEDGER_BACKEND=rpc without KEY_VAULT_MASTER_KEY stops startup naming the variable', () => {
      expect(() => validateEnvironment(rpc)).toThrow(/LEDGER_BACKEND=rpc needs KEY_VAULT_MASTER_KEY/);
      expect(validateEnvironment({ ...rpc, KEY_VAULT_MASTER_KEY: masterKey }).KEY_VAULT_MASTER_KEY).toBe(masterKey);
      // The embedded default may still generate one into DATA_DIR.
      expect(validateEnvironment({}).KEY_VAULT_MASTER_KEY).toBeUndefined();
    });

    it('#11.11 reads KEY_VAULT_MASTER_KEY_FILE (outside DATA_DIR only) without echoing the key', () => {
      const file = join(dir, 'master-key');
      writeFileSync(file, `${masterKey}\n`);
      const dataDir = join(dir, 'data');
      expect(
        validateEnvironment({ ...rpc, DATA_DIR: dataDir, KEY_VAULT_MASTER_KEY_FILE: file }).KEY_VAULT_MASTER_KEY,
      ).toBe(masterKey);
      const inside = join(dataDir, 'secrets', 'master-key');
      expect(() => validateEnvironment({ DATA_DIR: dataDir, KEY_VAULT_MASTER_KEY_FILE: inside })).toThrow(
        /KEY_VAULT_MASTER_KEY_FILE must be outside DATA_DIR/,
      );
      expect(() => validateEnvironment({ KEY_VAULT_MASTER_KEY_FILE: file, KEY_VAULT_MASTER_KEY: masterKey })).toThrow(
        /KEY_VAULT_MASTER_KEY or KEY_VAULT_MASTER_KEY_FILE, not both/,
      );
      expect(() => validateEnvironment({ KEY_VAULT_MASTER_KEY_FILE: join(dir, 'missing') })).toThrow(
        /KEY_VAULT_MASTER_KEY_FILE: .* is not readable/,
      );
      writeFileSync(file, 'not-a-key-' + 'z'.repeat(54));
      let message = '';
      try {
        validateEnvironment({ KEY_VAULT_MASTER_KEY_FILE: file });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain('KEY_VAULT_MASTER_KEY_FILE must hold 64 hex characters');
      expect(message).not.toContain('zzzz');
    });
  });

  describe('deployment records from npm run deploy', () => {
    const registryAddress = '0x' + '1'.repeat(40);
    const accessRegistryAddress = '0x' + '2'.repeat(40);
    let dir: string;
    const rpc = (extra: Record<string, string> = {}) => ({
      LEDGER_BACKEND: 'rpc',
      DEPLOYMENTS_DIR: dir,
      SUPCHAIN_RPC_URL: 'http://127.0.0.1:8545',
      SUPCHAIN_PRIVATE_KEY: 'ab'.repeat(32),
      KEY_VAULT_MASTER_KEY: 'cd'.repeat(32),
      ...extra,
    });

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'emr-deployments-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("fills a chain's unset chain id and addresses from DEPLOYMENTS_DIR/<chain>.json", () => {
      writeFileSync(
        join(dir, 'supchain.json'),
        JSON.stringify({ chainId: 11155111, registryAddress, accessRegistryAddress }),
      );
      const env = validateEnvironment(rpc());
      expect(env.SUPCHAIN_CHAIN_ID).toBe(11155111);
      expect(env.SUPCHAIN_REGISTRY_ADDRESS).toBe(registryAddress);
      expect(env.SUPCHAIN_ACCESS_REGISTRY_ADDRESS).toBe(accessRegistryAddress);
    });

    it('lets a variable that is set win over the record', () => {
      writeFileSync(join(dir, 'supchain.json'), JSON.stringify({ chainId: 5, registryAddress, accessRegistryAddress }));
      const own = '0x' + '3'.repeat(40);
      const env = validateEnvironment(rpc({ SUPCHAIN_REGISTRY_ADDRESS: own, SUPCHAIN_CHAIN_ID: '5' }));
      expect(env.SUPCHAIN_REGISTRY_ADDRESS).toBe(own);
      expect(env.SUPCHAIN_ACCESS_REGISTRY_ADDRESS).toBe(accessRegistryAddress);
    });

    it('stops when the configured chain id contradicts the record', () => {
      writeFileSync(join(dir, 'supchain.json'), JSON.stringify({ chainId: 5, registryAddress, accessRegistryAddress }));
      expect(() => validateEnvironment(rpc({ SUPCHAIN_CHAIN_ID: '6' }))).toThrow(/SUPCHAIN_CHAIN_ID is 6 .* chain 5/);
    });

    it('stops on a record without valid addresses, and still asks for what is missing without one', () => {
      writeFileSync(join(dir, 'supchain.json'), JSON.stringify({ chainId: 5, registryAddress: 'nope' }));
      expect(() => validateEnvironment(rpc())).toThrow(/supchain\.json lacks chainId, registryAddress/);
      rmSync(join(dir, 'supchain.json'));
      expect(() => validateEnvironment(rpc())).toThrow(/needs SUPCHAIN_CHAIN_ID, SUPCHAIN_REGISTRY_ADDRESS/);
    });
  });
});
