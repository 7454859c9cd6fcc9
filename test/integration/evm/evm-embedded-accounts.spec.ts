import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HDNodeWallet, Interface, JsonRpcProvider, Mnemonic, Wallet } from 'ethers';
import { EmrRegistry__factory, PatientAccessRegistry__factory } from '../../../typechain-types';
import { startAnvil } from '../../../src/infrastructure/evm/anvil/anvil-process';
import {
  ANVIL_DEV_PRIVATE_KEY,
  EMBEDDED_CHAIN_IDS,
  startEmbeddedLedgers,
} from '../../../src/infrastructure/evm/anvil/embedded-ledgers';
import { EvmLedgerSettings } from '../../../src/infrastructure/evm/connection/evm-ledger-settings';
import { EvmEmrRepository } from '../../../src/infrastructure/evm/evm-emr.repository';
import { deployRegistry } from '../../../src/infrastructure/evm/anvil/registry-deployment';
import { newRecord } from '../../ports/emr-repository.port-suite';
import {
  ACTION_GRANT,
  generateEpochPublicKey,
  generatePatientSigningKey,
  sha256Hex,
  signMessage,
} from '../../support/consent-signature';

/** Anvil's default dev accounts: ten keys from a mnemonic everyone knows (m/44'/60'/0'/0/0..9). */
const DEV_ACCOUNTS = Array.from({ length: 10 }, (_, index) =>
  HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase('test test test test test test test test test test test junk'),
    `m/44'/60'/0'/0/${index}`,
  ),
);
const DEFAULT_ADMIN_ROLE = '0x' + '00'.repeat(32);
const UNAUTHORIZED = new Interface(['error AccessControlUnauthorizedAccount(address account, bytes32 neededRole)']);

function providerFor(settings: EvmLedgerSettings): JsonRpcProvider {
  return new JsonRpcProvider(settings.rpcUrl, settings.expectedChainId, { staticNetwork: true, cacheTimeout: -1 });
}

/** Every role any dev account holds on the chain's two contracts, e.g. "WRITER_ROLE 0xf39F… on EmrRegistry". */
async function devAccountRoles(settings: EvmLedgerSettings, provider: JsonRpcProvider): Promise<string[]> {
  const registry = EmrRegistry__factory.connect(settings.registryAddress, provider);
  const access = PatientAccessRegistry__factory.connect(settings.accessRegistryAddress, provider);
  const writerRole = await registry.WRITER_ROLE();
  const held: string[] = [];
  for (const [name, contract] of [
    ['EmrRegistry', registry],
    ['PatientAccessRegistry', access],
  ] as const) {
    for (const account of DEV_ACCOUNTS) {
      for (const [roleName, role] of [
        ['DEFAULT_ADMIN_ROLE', DEFAULT_ADMIN_ROLE],
        ['WRITER_ROLE', writerRole],
      ] as const) {
        if (await contract.hasRole(role, account.address)) held.push(`${roleName} ${account.address} on ${name}`);
      }
    }
  }
  return held;
}

describe('The embedded ledgers’ accounts (anvil)', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emr-embedded-accounts-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('#11.10 #14 no dev account holds a role on either contract of either chain: a dev account’s registerPatientKey reverts, and so does its grantConsent with a forged signature', async () => {
    const ledgers = await startEmbeddedLedgers({ dataDir, handleProcessSignals: false });
    try {
      expect(ledgers.settings.map((settings) => settings.chain)).toEqual(['supchain', 'medchain']);
      for (const settings of ledgers.settings) {
        const provider = providerFor(settings);
        try {
          expect(await devAccountRoles(settings, provider)).toEqual([]);
          // The service's writer is its own key, generated into the data directory (0600), and holds the role.
          const writer = new Wallet(settings.signerPrivateKey);
          expect(DEV_ACCOUNTS.map((account) => account.address)).not.toContain(writer.address);
          const access = PatientAccessRegistry__factory.connect(settings.accessRegistryAddress, provider);
          expect(await access.hasRole(await access.WRITER_ROLE(), writer.address)).toBe(true);
          expect(statSync(join(dataDir, 'chains', settings.chain, 'accounts.json')).mode & 0o777).toBe(0o600);

          const [patientKey, providerKey] = [randomBytes(32), randomBytes(32)];
          const patient = generatePatientSigningKey();
          const epoch: [Uint8Array, Uint8Array[]] = [generateEpochPublicKey(), [randomBytes(115)]];
          for (const dev of [new Wallet(ANVIL_DEV_PRIVATE_KEY, provider), DEV_ACCOUNTS[1].connect(provider)]) {
            const call = access.connect(dev).registerPatientKey(patientKey, patient.x, patient.y, ...epoch);
            // OpenZeppelin's AccessControlUnauthorizedAccount(account, WRITER_ROLE).
            const expected = UNAUTHORIZED.encodeErrorResult('AccessControlUnauthorizedAccount', [
              dev.address,
              await access.WRITER_ROLE(),
            ]);
            await expect(call).rejects.toMatchObject({ code: 'CALL_EXCEPTION', data: expected });
          }
          // The same call from the writer goes through: the dev accounts fail for lack of the role alone.
          await (
            await access
              .connect(writer.connect(provider))
              .registerPatientKey(patientKey, patient.x, patient.y, ...epoch)
          ).wait();
          // A grant needs no role but the patient's signature: one by another key reverts from a dev account.
          const slot = randomBytes(115);
          const forged = signMessage(
            generatePatientSigningKey(),
            await access.consentMessage(ACTION_GRANT, patientKey, providerKey, 0, 0, sha256Hex(slot)),
          );
          const dev = DEV_ACCOUNTS[1].connect(provider);
          const grant = access.connect(dev).grantConsent(patientKey, providerKey, 0, 0, forged.r, forged.s, slot);
          await expect(grant).rejects.toMatchObject({
            code: 'CALL_EXCEPTION',
            data: access.interface.encodeErrorResult('PatientAccessRegistryBadSignature', [patientKey]),
          });
        } finally {
          provider.destroy();
        }
      }
    } finally {
      await ledgers.stop();
    }
  }, 120_000);

  it('#11.10 a chain deployed by an earlier version (dev account as admin and writer) keeps its records and loses the dev account’s roles', async () => {
    // The layout an earlier version left: the registry deployed, administered and written by dev account 0.
    const chain = 'supchain';
    const dir = join(dataDir, 'chains', chain);
    await mkdir(dir, { recursive: true });
    const old = await startAnvil({ chainId: EMBEDDED_CHAIN_IDS[chain], statePath: join(dir, 'state.json') });
    const patient = randomBytes(32);
    const draft = newRecord(patient, 2_000);
    try {
      const deployment = await deployRegistry({
        network: chain,
        rpcUrl: old.rpcUrl,
        chainId: EMBEDDED_CHAIN_IDS[chain],
        deployerPrivateKey: ANVIL_DEV_PRIVATE_KEY,
      });
      await writeFile(join(dir, 'deployment.json'), JSON.stringify(deployment));
      const repository = await EvmEmrRepository.connect({
        chain,
        rpcUrl: old.rpcUrl,
        registryAddress: deployment.registryAddress,
        accessRegistryAddress: deployment.accessRegistryAddress,
        signerPrivateKey: ANVIL_DEV_PRIVATE_KEY,
        expectedChainId: EMBEDDED_CHAIN_IDS[chain],
        confirmations: 1,
        timeoutMs: 30_000,
      });
      await repository.append(draft);
      await repository.close();
    } finally {
      await old.stop();
    }

    const ledgers = await startEmbeddedLedgers({ dataDir, chains: [chain], handleProcessSignals: false });
    try {
      const settings = ledgers.settings[0];
      const provider = providerFor(settings);
      try {
        expect(await devAccountRoles(settings, provider)).toEqual([]);
      } finally {
        provider.destroy();
      }
      const repository = await EvmEmrRepository.connect(settings);
      try {
        expect((await repository.latest(patient))?.recordId.hex).toBe(draft.recordId.hex);
        await repository.append(newRecord(patient, 1_000));
      } finally {
        await repository.close();
      }
    } finally {
      await ledgers.stop();
    }
  }, 120_000);
});
