import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bytesToHex } from '../../domain/bytes';
import { PrincipalRepository } from '../../domain/ports/principal-repository.port';
import { Principal, principalRef, Role } from '../../domain/principal';

interface StoredPrincipal {
  readonly role: Role;
  readonly id: string;
  readonly name?: string;
  readonly createdAt: string;
  /** hex SHA-256 of the bearer token; the token itself is never stored. */
  readonly tokenHash: string;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * Principals in one JSON file under the data directory (mode 0600), rewritten
 * atomically on every change. Small by nature (one entry per provider and patient);
 * reads are served from memory.
 */
export class FilePrincipalRepository extends PrincipalRepository {
  private readonly byRef = new Map<string, StoredPrincipal>();
  private readonly byTokenHash = new Map<string, StoredPrincipal>();

  constructor(private readonly path: string) {
    super();
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
    if (existsSync(path)) {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as { principals: StoredPrincipal[] };
      for (const principal of stored.principals) this.index(principal);
    }
  }

  async add(principal: Principal, tokenHash: Uint8Array): Promise<boolean> {
    const ref = principalRef(principal.role, principal.id);
    if (this.byRef.has(ref)) return false;
    const stored: StoredPrincipal = {
      role: principal.role,
      id: principal.id,
      ...(principal.name !== undefined ? { name: principal.name } : {}),
      createdAt: principal.createdAt.toISOString(),
      tokenHash: bytesToHex(tokenHash),
    };
    this.index(stored);
    try {
      this.persist();
    } catch (error) {
      this.byRef.delete(ref);
      this.byTokenHash.delete(stored.tokenHash);
      throw error;
    }
    return true;
  }

  async findByTokenHash(tokenHash: Uint8Array): Promise<Principal | null> {
    const stored = this.byTokenHash.get(bytesToHex(tokenHash));
    return stored ? toPrincipal(stored) : null;
  }

  async find(role: Role, id: string): Promise<Principal | null> {
    const stored = this.byRef.get(principalRef(role, id));
    return stored ? toPrincipal(stored) : null;
  }

  async list(role: Role): Promise<Principal[]> {
    return [...this.byRef.values()].filter((stored) => stored.role === role).map(toPrincipal);
  }

  private index(stored: StoredPrincipal): void {
    this.byRef.set(principalRef(stored.role, stored.id), stored);
    this.byTokenHash.set(stored.tokenHash, stored);
  }

  private persist(): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ principals: [...this.byRef.values()] }), { mode: FILE_MODE });
    renameSync(temporary, this.path);
  }
}

function toPrincipal(stored: StoredPrincipal): Principal {
  return {
    role: stored.role,
    id: stored.id,
    ...(stored.name !== undefined ? { name: stored.name } : {}),
    createdAt: new Date(stored.createdAt),
  };
}
