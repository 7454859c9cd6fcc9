import { validateEnvironment } from './environment';

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

  it('requires a complete chain configuration for LEDGER_BACKEND=rpc', () => {
    expect(() => validateEnvironment({ LEDGER_BACKEND: 'rpc' })).toThrow(/SUPCHAIN_RPC_URL or MEDCHAIN_RPC_URL/);
    expect(() => validateEnvironment({ LEDGER_BACKEND: 'rpc', SUPCHAIN_RPC_URL: 'http://127.0.0.1:8545' })).toThrow(
      /SUPCHAIN_CHAIN_ID, SUPCHAIN_REGISTRY_ADDRESS, SUPCHAIN_ACCESS_REGISTRY_ADDRESS, SUPCHAIN_PRIVATE_KEY/,
    );
  });
});
