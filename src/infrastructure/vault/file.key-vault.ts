import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes, utf8 } from '../../domain/bytes';
import { InvalidKeyError } from '../../domain/errors';
import { Cipher, KeyPair } from '../../domain/ports/cipher.port';
import { KeyVault } from '../../domain/ports/key-vault.port';
import { NODE_SYNC_FILE_STEPS, SyncFileSteps, writeFileDurably } from '../journal/durable-file';

export const MASTER_KEY_BYTES = 32;
const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
const DIR_MODE = 0o700;
const FILE_NAME_DOMAIN = 'patient-centric-emr/key-vault/file-name';
const AAD_DOMAIN = 'patient-centric-emr/key-vault/v1:';

interface VaultFile {
  readonly version: 1;
  readonly publicKey: string;
  /** hex( nonce (12) || AES-256-GCM ciphertext of the private key (32) || tag (16) ), aad = domain || ref */
  readonly sealedPrivateKey: string;
}

/**
 * Private keys on disk, one file per principal under `<dir>`, each AES-256-GCM-sealed
 * under the master key and bound (aad) to its principal. File names are an HMAC of
 * the principal ref under the master key, so a directory listing reveals no patient id.
 * Files are 0600 in a 0700 directory and written durably (temporary file, fsync, rename,
 * directory fsync).
 */
export class FileKeyVault extends KeyVault {
  private readonly cache = new Map<string, KeyPair>();

  constructor(
    private readonly dir: string,
    private readonly masterKey: Uint8Array,
    private readonly cipher: Cipher,
    private readonly steps: SyncFileSteps = NODE_SYNC_FILE_STEPS,
  ) {
    super();
    if (masterKey.length !== MASTER_KEY_BYTES) {
      throw new InvalidKeyError(`The key-vault master key must be ${MASTER_KEY_BYTES} bytes.`);
    }
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  }

  async createKeyPair(ref: string): Promise<KeyPair> {
    const existing = await this.keyPair(ref);
    if (existing) return existing;
    const keyPair = await this.cipher.generateKeyPair();
    const nonce = randomBytes(GCM_NONCE_BYTES);
    const aes = createCipheriv('aes-256-gcm', this.masterKey, nonce);
    aes.setAAD(this.aad(ref));
    const sealed = Buffer.concat([nonce, aes.update(keyPair.privateKey), aes.final(), aes.getAuthTag()]);
    const file: VaultFile = {
      version: 1,
      publicKey: bytesToHex(keyPair.publicKey),
      sealedPrivateKey: sealed.toString('hex'),
    };
    writeFileDurably(this.pathOf(ref), JSON.stringify(file), this.steps);
    this.cache.set(ref, keyPair);
    return keyPair;
  }

  async keyPair(ref: string): Promise<KeyPair | null> {
    const cached = this.cache.get(ref);
    if (cached) return cached;
    const path = this.pathOf(ref);
    if (!existsSync(path)) return null;
    const file = JSON.parse(readFileSync(path, 'utf8')) as VaultFile;
    const sealed = hexToBytes(file.sealedPrivateKey);
    const nonce = sealed.subarray(0, GCM_NONCE_BYTES);
    const tag = sealed.subarray(sealed.length - GCM_TAG_BYTES);
    const body = sealed.subarray(GCM_NONCE_BYTES, sealed.length - GCM_TAG_BYTES);
    const aes = createDecipheriv('aes-256-gcm', this.masterKey, nonce);
    aes.setAAD(this.aad(ref));
    aes.setAuthTag(tag);
    let privateKey: Uint8Array;
    try {
      privateKey = new Uint8Array(Buffer.concat([aes.update(body), aes.final()]));
    } catch {
      throw new InvalidKeyError('A stored private key could not be opened with the configured master key.');
    }
    const keyPair = { privateKey, publicKey: hexToBytes(file.publicKey) };
    this.cache.set(ref, keyPair);
    return keyPair;
  }

  private pathOf(ref: string): string {
    const name = createHmac('sha256', this.masterKey).update(FILE_NAME_DOMAIN).update(ref).digest('hex');
    return join(this.dir, `${name}.json`);
  }

  private aad(ref: string): Uint8Array {
    return utf8(AAD_DOMAIN + ref);
  }
}
