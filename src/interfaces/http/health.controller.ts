import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { IntegrityMonitor, IntegrityReport } from '../../application/shared/integrity-monitor';
import { ReplicationJournal } from '../../domain/ports/replication-journal.port';
import { Ledgers } from '../../domain/ledgers';
import { Public } from './auth.guard';
import { LedgerHealth } from '../../domain/ports/emr-repository.port';

/** A health probe answers fast even when a ledger hangs. */
const HEALTH_PROBE_TIMEOUT_MS = 3_000;

export interface ChainReport extends LedgerHealth {
  /** Copies that failed verification when read from this ledger. */
  integrity: IntegrityReport;
  /** Copies this ledger is still owed from `both` uploads. */
  pendingReplicas: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  chains: Record<string, ChainReport>;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly ledgers: Ledgers,
    private readonly integrity: IntegrityMonitor,
    private readonly journal: ReplicationJournal,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Service and ledger health (no authentication)' })
  @ApiOkResponse({
    description:
      '`ok` when every ledger is up, verified clean and owed nothing; `degraded` otherwise; 503 `down` when no ledger answers',
  })
  async health(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const repositories = this.ledgers.all();
    const results = await Promise.all(repositories.map((repository) => probe(() => repository.health())));
    // Counted from the journal's entry names: this endpoint is public, and never reads ciphertext.
    const pending = await this.journal.pendingCounts();
    const chains: Record<string, ChainReport> = {};
    repositories.forEach((repository, index) => {
      const integrity = this.integrity.reportFor(repository.chain);
      chains[repository.chain] = { ...results[index], integrity, pendingReplicas: pending[repository.chain] };
    });
    const owed = Object.values(pending).some((count) => count > 0);
    const up = results.filter((result) => result.status === 'up').length;
    const clean = repositories.every((repository) => this.integrity.reportFor(repository.chain).failures === 0);
    const status = up === results.length && clean && !owed ? 'ok' : up > 0 ? 'degraded' : 'down';
    if (status === 'down') response.status(503);
    response.setHeader('Cache-Control', 'no-store');
    return { status, chains };
  }
}

async function probe(check: () => Promise<LedgerHealth>): Promise<LedgerHealth> {
  const down: LedgerHealth = { status: 'down', chainId: null, blockNumber: null };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<LedgerHealth>((resolve) => {
    timer = setTimeout(() => resolve(down), HEALTH_PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().catch(() => down), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
