import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Ledgers } from '../../domain/ledgers';
import { Public } from './auth.guard';
import { LedgerHealth } from '../../domain/ports/emr-repository.port';

/** A health probe answers fast even when a ledger hangs. */
const HEALTH_PROBE_TIMEOUT_MS = 3_000;

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  chains: Record<string, LedgerHealth>;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly ledgers: Ledgers) {}

  @Get()
  @ApiOperation({ summary: 'Service and ledger health (no authentication)' })
  @ApiOkResponse({ description: '`ok` when every ledger is up, `degraded` when some are; 503 `down` when none is' })
  async health(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const repositories = this.ledgers.all();
    const results = await Promise.all(repositories.map((repository) => probe(() => repository.health())));
    const chains: Record<string, LedgerHealth> = {};
    repositories.forEach((repository, index) => (chains[repository.chain] = results[index]));
    const up = results.filter((result) => result.status === 'up').length;
    const status = up === results.length ? 'ok' : up > 0 ? 'degraded' : 'down';
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
