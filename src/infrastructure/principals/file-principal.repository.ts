import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { bytesToHex, fromUtf8, hexToBytes, utf8 } from '../../domain/bytes';
import { PendingClaim, PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { PatientPublicKeys, Principal, principalRef, Role, ROLES } from '../../domain/principal';
import { NODE_SYNC_FILE_STEPS, SyncFileSteps, writeFileDurably } from '../journal/durable-file';

export const PRINCIPAL_STORE_KEY_BYTES = 32;
const STORE_KEY_INFO = 'patient-centric-emr/principals/v2';

/** The key principals.json is protected with; also the Nest token CryptoModule provides it under. */
export class PrincipalStoreKey {
  constructor(readonly bytes: Uint8Array) {}

  /** Derived from the key-vault master key, so the data directory alone cannot open principals.json either. */
  static fromMasterKey(masterKey: Uint8Array): PrincipalStoreKey {
    return new PrincipalStoreKey(derive(masterKey, STORE_KEY_INFO));
  }
}

const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
const INDEX_KEY_INFO = 'patient-centric-emr/principals/index-key';
const SEAL_KEY_INFO = 'patient-centric-emr/principals/seal-key';
const AAD_DOMAIN = 'patient-centric-emr/principals/v2:';

/** One principal on disk: nothing in it names the patient or provider. */
interface StoredPrincipal {
  /** hex HMAC-SHA256(index key, role:id): the principal's pseudonym, unique per role and id. */
  readonly key: string;
  readonly role: Role;
  /** hex( nonce (12) || AES-256-GCM ciphertext of JSON {id, name?, createdBy?} || tag (16) ), aad = domain || key. */
  readonly sealed: string;
  readonly createdAt: string;
  /** hex SHA-256 of the bearer token; null before the first claim and after signing out everywhere. Never the token. */
  readonly tokenHash: string | null;
  /** hex SHA-256 of the normalized pending claim code, and when it expires; never the code itself. */
  readonly claimHash?: string;
  readonly claimExpiresAt?: string;
  readonly claimedAt?: string;
  /** A patient's registered public keys (hex SEC 1) and when; published on the ledgers anyway. */
  readonly keys?: {
    readonly encryption: string;
    readonly signing: string;
    readonly registeredAt: string;
    /** Signing keys replaced since, oldest first (hex SEC 1); absent when none was. */
    readonly formerSigning?: readonly string[];
  };
  /** hex of the patient's key backup: wrapped in their browser under a recovery code the service never sees. */
  readonly keyBackup?: string;
}

interface PrincipalsFile {
  readonly version: 2;
  readonly principals: StoredPrincipal[];
}

/** What earlier versions wrote: ids and names in clear. Migrated on load. */
interface LegacyPrincipal {
  readonly role: Role;
  readonly id: string;
  readonly name?: string;
  readonly createdAt: string;
  readonly tokenHash: string;
}

interface Entry {
  readonly principal: Principal;
  readonly stored: StoredPrincipal;
}

/**
 * Principals in one JSON file under the data directory (mode 0600), rewritten durably (temporary
 * file, fsync, rename, directory fsync) on every change. Each is filed under a pseudonym (an HMAC
 * of role and id) with its id and name sealed (AES-256-GCM), both under keys derived from the
 * key-vault master key, so the file names nobody. A file in the earlier clear form is rewritten
 * in this form on load. Small by nature (one entry per provider and patient); reads are served
 * from memory.
 */
export class FilePrincipalRepository extends PrincipalRepository {
  private readonly byKey = new Map<string, Entry>();
  private readonly byTokenHash = new Map<string, Entry>();
  private readonly byClaimHash = new Map<string, Entry>();
  private readonly indexKey: Uint8Array;
  private readonly sealKey: Uint8Array;
  /** How many principals were migrated from the earlier clear form at construction. */
  migrated = 0;

  constructor(
    private readonly path: string,
    storeKey: PrincipalStoreKey,
    private readonly steps: SyncFileSteps = NODE_SYNC_FILE_STEPS,
  ) {
    super();
    if (storeKey.bytes.length !== PRINCIPAL_STORE_KEY_BYTES) {
      throw new Error(`The principal store key must be ${PRINCIPAL_STORE_KEY_BYTES} bytes.`);
    }
    this.indexKey = derive(storeKey.bytes, INDEX_KEY_INFO);
    this.sealKey = derive(storeKey.bytes, SEAL_KEY_INFO);
    if (existsSync(path)) this.load(JSON.parse(readFileSync(path, 'utf8')) as Partial<PrincipalsFile>);
  }

  async add(principal: Principal, tokenHash: Uint8Array | null, claim?: PendingClaim): Promise<boolean> {
    const key = this.keyOf(principal.role, principal.id);
    if (this.byKey.has(key)) return false;
    const stored = { ...this.seal(principal, tokenHash), ...claimFields(claim) };
    this.replace(undefined, { principal, stored });
    return true;
  }

  async setClaimCode(role: Role, id: string, claim: PendingClaim): Promise<boolean> {
    const entry = this.byKey.get(this.keyOf(role, id));
    if (!entry) return false;
    this.replace(entry, { principal: entry.principal, stored: { ...entry.stored, ...claimFields(claim) } });
    return true;
  }

  async redeemClaimCode(claimHash: Uint8Array, tokenHash: Uint8Array, now: Date): Promise<Principal | null> {
    const entry = this.byClaimHash.get(bytesToHex(claimHash));
    if (!entry?.stored.claimExpiresAt || new Date(entry.stored.claimExpiresAt).getTime() <= now.getTime()) return null;
    const principal: Principal = { ...entry.principal, claimedAt: now };
    const { claimHash: _spent, claimExpiresAt: _expiry, ...rest } = entry.stored;
    const stored: StoredPrincipal = { ...rest, tokenHash: bytesToHex(tokenHash), claimedAt: now.toISOString() };
    this.replace(entry, { principal, stored });
    return principal;
  }

  async setTokenHash(role: Role, id: string, tokenHash: Uint8Array | null): Promise<void> {
    const entry = this.byKey.get(this.keyOf(role, id));
    if (!entry) return;
    const stored: StoredPrincipal = { ...entry.stored, tokenHash: tokenHash === null ? null : bytesToHex(tokenHash) };
    this.replace(entry, { principal: entry.principal, stored });
  }

  async registerKeys(id: string, keys: PatientPublicKeys, backup: Uint8Array): Promise<boolean> {
    const entry = this.byKey.get(this.keyOf('patient', id));
    if (!entry || entry.stored.keys) return false;
    const stored: StoredPrincipal = {
      ...entry.stored,
      keys: {
        encryption: bytesToHex(keys.encryptionPublicKey),
        signing: bytesToHex(keys.signingPublicKey),
        registeredAt: keys.registeredAt.toISOString(),
      },
      keyBackup: bytesToHex(backup),
    };
    this.replace(entry, { principal: { ...entry.principal, keys }, stored });
    return true;
  }

  async replaceSigningKey(id: string, signingPublicKey: Uint8Array, backup: Uint8Array): Promise<boolean> {
    const entry = this.byKey.get(this.keyOf('patient', id));
    const current = entry?.stored.keys;
    if (!entry || !current) return false;
    const storedKeys = {
      ...current,
      signing: bytesToHex(signingPublicKey),
      formerSigning: [...(current.formerSigning ?? []), current.signing],
    };
    const stored: StoredPrincipal = { ...entry.stored, keys: storedKeys, keyBackup: bytesToHex(backup) };
    this.replace(entry, { principal: { ...entry.principal, keys: publicKeysOf(storedKeys) }, stored });
    return true;
  }

  async keyBackup(id: string): Promise<Uint8Array | null> {
    const backup = this.byKey.get(this.keyOf('patient', id))?.stored.keyBackup;
    return backup === undefined ? null : hexToBytes(backup);
  }

  async findByTokenHash(tokenHash: Uint8Array): Promise<Principal | null> {
    return this.byTokenHash.get(bytesToHex(tokenHash))?.principal ?? null;
  }

  async find(role: Role, id: string): Promise<Principal | null> {
    return this.byKey.get(this.keyOf(role, id))?.principal ?? null;
  }

  async list(role: Role): Promise<Principal[]> {
    return [...this.byKey.values()].filter(({ principal }) => principal.role === role).map((entry) => entry.principal);
  }

  private load(file: Partial<PrincipalsFile> | { principals: LegacyPrincipal[] }): void {
    if ((file as Partial<PrincipalsFile>).version === 2) {
      for (const stored of (file as PrincipalsFile).principals) this.index({ principal: this.open(stored), stored });
      return;
    }
    for (const legacy of (file as { principals: LegacyPrincipal[] }).principals) {
      const principal: Principal = {
        role: legacy.role,
        id: legacy.id,
        ...(legacy.name !== undefined ? { name: legacy.name } : {}),
        createdAt: new Date(legacy.createdAt),
      };
      this.index({ principal, stored: this.seal(principal, hexToBytes(legacy.tokenHash)) });
    }
    this.persist();
    this.migrated = this.byKey.size;
  }

  private index(entry: Entry): void {
    this.byKey.set(entry.stored.key, entry);
    if (entry.stored.tokenHash !== null) this.byTokenHash.set(entry.stored.tokenHash, entry);
    if (entry.stored.claimHash !== undefined) this.byClaimHash.set(entry.stored.claimHash, entry);
  }

  private unindex(entry: Entry): void {
    this.byKey.delete(entry.stored.key);
    if (entry.stored.tokenHash !== null) this.byTokenHash.delete(entry.stored.tokenHash);
    if (entry.stored.claimHash !== undefined) this.byClaimHash.delete(entry.stored.claimHash);
  }

  /** Swaps `before` (absent for a new principal) for `after`, durably; on a failed write memory is left as it was. */
  private replace(before: Entry | undefined, after: Entry): void {
    if (before) this.unindex(before);
    this.index(after);
    try {
      this.persist();
    } catch (error) {
      this.unindex(after);
      if (before) this.index(before);
      throw error;
    }
  }

  private keyOf(role: Role, id: string): string {
    return createHmac('sha256', this.indexKey).update(principalRef(role, id)).digest('hex');
  }

  private seal(principal: Principal, tokenHash: Uint8Array | null): StoredPrincipal {
    const key = this.keyOf(principal.role, principal.id);
    const body = {
      id: principal.id,
      ...(principal.name !== undefined ? { name: principal.name } : {}),
      ...(principal.createdBy !== undefined ? { createdBy: principal.createdBy } : {}),
    };
    const nonce = randomBytes(GCM_NONCE_BYTES);
    const aes = createCipheriv('aes-256-gcm', this.sealKey, nonce);
    aes.setAAD(utf8(AAD_DOMAIN + key));
    const sealed = Buffer.concat([nonce, aes.update(utf8(JSON.stringify(body))), aes.final(), aes.getAuthTag()]);
    return {
      key,
      role: principal.role,
      sealed: sealed.toString('hex'),
      createdAt: principal.createdAt.toISOString(),
      tokenHash: tokenHash === null ? null : bytesToHex(tokenHash),
      ...(principal.claimedAt !== undefined ? { claimedAt: principal.claimedAt.toISOString() } : {}),
    };
  }

  private open(stored: StoredPrincipal): Principal {
    // Layout: nonce (12) || ciphertext || tag (16), see seal().
    const sealed = hexToBytes(stored.sealed);
    let body: { id: string; name?: string; createdBy?: string };
    try {
      const aes = createDecipheriv('aes-256-gcm', this.sealKey, sealed.subarray(0, GCM_NONCE_BYTES));
      aes.setAAD(utf8(AAD_DOMAIN + stored.key));
      aes.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
      const plain = Buffer.concat([
        aes.update(sealed.subarray(GCM_NONCE_BYTES, sealed.length - GCM_TAG_BYTES)),
        aes.final(),
      ]);
      body = JSON.parse(fromUtf8(plain)) as { id: string; name?: string; createdBy?: string };
    } catch {
      throw new Error(
        `${this.path} cannot be opened with the configured key-vault master key (KEY_VAULT_MASTER_KEY): ` +
          'it was written under another one.',
      );
    }
    if (!ROLES.includes(stored.role) || this.keyOf(stored.role, body.id) !== stored.key) {
      throw new Error(`${this.path} holds an entry whose pseudonym does not match its sealed id.`);
    }
    return {
      role: stored.role,
      id: body.id,
      ...(body.name !== undefined ? { name: body.name } : {}),
      createdAt: new Date(stored.createdAt),
      ...(body.createdBy !== undefined ? { createdBy: body.createdBy } : {}),
      ...(stored.claimedAt !== undefined ? { claimedAt: new Date(stored.claimedAt) } : {}),
      ...(stored.keys !== undefined ? { keys: publicKeysOf(stored.keys) } : {}),
    };
  }

  private persist(): void {
    const file: PrincipalsFile = { version: 2, principals: [...this.byKey.values()].map((entry) => entry.stored) };
    writeFileDurably(this.path, JSON.stringify(file), this.steps);
  }
}

function publicKeysOf(keys: NonNullable<StoredPrincipal['keys']>): PatientPublicKeys {
  return {
    encryptionPublicKey: hexToBytes(keys.encryption),
    signingPublicKey: hexToBytes(keys.signing),
    registeredAt: new Date(keys.registeredAt),
    ...(keys.formerSigning?.length ? { formerSigningKeys: keys.formerSigning.map(hexToBytes) } : {}),
  };
}

function claimFields(claim: PendingClaim | undefined): Pick<StoredPrincipal, 'claimHash' | 'claimExpiresAt'> {
  return claim ? { claimHash: bytesToHex(claim.hash), claimExpiresAt: claim.expiresAt.toISOString() } : {};
}

function derive(key: Uint8Array, info: string): Uint8Array {
  // RFC 5869 HKDF-SHA256, no salt: the input is already a uniformly random key.
  return new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), info, PRINCIPAL_STORE_KEY_BYTES));
}
