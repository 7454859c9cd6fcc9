type CryptoModule = typeof import('../../src/interfaces/web/public/crypto/index.js');

describe('the web crypto module without WebCrypto (a page outside a secure context)', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'crypto');

  afterEach(() => {
    if (original) Object.defineProperty(globalThis, 'crypto', original);
  });

  it('#13 still imports, and every operation then fails with UNAVAILABLE, not a TypeError', async () => {
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    let module: CryptoModule | undefined;
    await jest.isolateModulesAsync(async () => {
      module = await import('../../src/interfaces/web/public/crypto/index.js');
    });
    const { generateP256KeyPair, keyIdOf } = module!;
    await expect(generateP256KeyPair('ECDH')).rejects.toMatchObject({ name: 'WebCryptoError', code: 'UNAVAILABLE' });
    await expect(keyIdOf(new Uint8Array(65))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
