import { KeyPair } from '../../domain/ports/cipher.port';
import { KeyVault } from '../../domain/ports/key-vault.port';

/** Serves the deployment's encryption key pair, loaded once at startup. */
export class DeploymentKeyVault extends KeyVault {
  constructor(private readonly serviceKey: KeyPair) {
    super();
  }

  async serviceKeyPair(): Promise<KeyPair> {
    return this.serviceKey;
  }
}
