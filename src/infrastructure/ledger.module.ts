import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment';
import { ChainName, CHAIN_NAMES } from '../domain/chain-name';
import { Ledgers } from '../domain/ledgers';
import { Clock } from '../domain/ports/clock.port';
import { startEmbeddedLedgers } from './evm/anvil/embedded-ledgers';
import { EvmEmrRepository } from './evm/evm-emr.repository';
import { EvmLedgerSettings } from './evm/connection/evm-ledger-settings';
import { InMemoryAccessLedger } from './memory/in-memory-access.ledger';
import { InMemoryEmrRepository } from './memory/in-memory-emr.repository';

/** The ledgers in use and how to release them. */
export class LedgerRuntime {
  constructor(
    readonly ledgers: Ledgers,
    readonly stop: () => Promise<void>,
  ) {}
}

/** Stops the ledgers last: global modules shut down after the HTTP and background modules (src/app/). */
class LedgerShutdown implements OnApplicationShutdown {
  constructor(@Inject(LedgerRuntime) private readonly runtime: LedgerRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

async function connectEvm(
  settings: readonly EvmLedgerSettings[],
  logger: Logger,
  allowUnreachableAtStart = false,
): Promise<EvmEmrRepository[]> {
  const repositories: EvmEmrRepository[] = [];
  try {
    for (const chainSettings of settings) {
      repositories.push(await EvmEmrRepository.connect(chainSettings, { logger, allowUnreachableAtStart }));
    }
    return repositories;
  } catch (error) {
    await Promise.all(repositories.map((repository) => repository.close()));
    throw error;
  }
}

/**
 * Remote ledgers: one that is down at startup does not keep the service down (writes with
 * `both` are journaled for it, reads fail over), so a restart during an outage keeps serving.
 * All of them down is refused: it is far more often a wrong URL than two simultaneous outages.
 */
async function connectRemote(settings: readonly EvmLedgerSettings[], logger: Logger): Promise<EvmEmrRepository[]> {
  const repositories = await connectEvm(settings, logger, true);
  const health = await Promise.all(repositories.map((repository) => repository.health()));
  if (health.every((ledger) => ledger.status === 'down')) {
    await Promise.all(repositories.map((repository) => repository.close()));
    throw new Error(
      `No configured ledger answers (${settings.map((chain) => chain.chain).join(', ')}): check each <CHAIN>_RPC_URL and <CHAIN>_CHAIN_ID.`,
    );
  }
  return repositories;
}

function evmRuntime(
  repositories: EvmEmrRepository[],
  after: () => Promise<void> = async () => undefined,
): LedgerRuntime {
  return new LedgerRuntime(
    new Ledgers(
      repositories,
      repositories.map((repository) => repository.accessLedger()),
    ),
    async () => {
      await Promise.all(repositories.map((repository) => repository.close()));
      await after();
    },
  );
}

/** `<CHAIN>_…` settings of the chains configured for LEDGER_BACKEND=rpc. */
function rpcSettings(config: ConfigService<Environment, true>): EvmLedgerSettings[] {
  const timeoutMs = config.get('LEDGER_TIMEOUT_MS', { infer: true });
  return CHAIN_NAMES.flatMap((chain: ChainName) => {
    const prefix = chain.toUpperCase() as 'SUPCHAIN' | 'MEDCHAIN';
    const get = (suffix: string) => config.get(`${prefix}_${suffix}` as keyof Environment, { infer: true }) as unknown;
    const rpcUrl = get('RPC_URL') as string | undefined;
    if (!rpcUrl) return [];
    const privateKey = String(get('PRIVATE_KEY'));
    return [
      {
        chain,
        rpcUrl,
        registryAddress: String(get('REGISTRY_ADDRESS')),
        accessRegistryAddress: String(get('ACCESS_REGISTRY_ADDRESS')),
        signerPrivateKey: privateKey.startsWith('0x') ? privateKey : `0x${privateKey}`,
        expectedChainId: Number(get('CHAIN_ID')),
        confirmations: Number(get('CONFIRMATIONS')),
        timeoutMs,
      },
    ];
  });
}

/**
 * Binds the set of ledgers from LEDGER_BACKEND: `embedded` (two local anvil chains
 * started with the service, state under DATA_DIR/chains), `rpc` (remote chains from
 * configuration) or `memory` (both ledgers in process, for integration suites).
 */
@Global()
@Module({
  providers: [
    {
      provide: LedgerRuntime,
      inject: [ConfigService, Clock],
      useFactory: async (config: ConfigService<Environment, true>, clock: Clock): Promise<LedgerRuntime> => {
        const backend = config.get('LEDGER_BACKEND', { infer: true });
        const logger = new Logger('Ledgers');
        if (backend === 'memory') {
          logger.log('Using in-memory ledgers (data is lost when the process exits).');
          const ledgers = new Ledgers(
            CHAIN_NAMES.map((chain) => new InMemoryEmrRepository(chain, clock)),
            CHAIN_NAMES.map((chain) => new InMemoryAccessLedger(chain, clock)),
          );
          return new LedgerRuntime(ledgers, async () => undefined);
        }
        if (backend === 'rpc') return evmRuntime(await connectRemote(rpcSettings(config), logger));

        logger.log('Starting the embedded SUPchain and MEDchain ledgers (anvil; state under DATA_DIR/chains).');
        const embedded = await startEmbeddedLedgers({
          dataDir: config.get('DATA_DIR', { infer: true }),
          logger,
          timeoutMs: config.get('LEDGER_TIMEOUT_MS', { infer: true }),
          // Nest's shutdown hooks stop the chains (LedgerShutdown), after in-flight requests.
          handleProcessSignals: false,
        });
        try {
          return evmRuntime(await connectEvm(embedded.settings, logger), () => embedded.stop());
        } catch (error) {
          await embedded.stop();
          throw error;
        }
      },
    },
    { provide: Ledgers, inject: [LedgerRuntime], useFactory: (runtime: LedgerRuntime) => runtime.ledgers },
    LedgerShutdown,
  ],
  exports: [Ledgers, LedgerRuntime],
})
export class LedgerModule {}
