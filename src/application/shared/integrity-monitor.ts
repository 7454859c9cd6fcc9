import { ChainName } from '../../domain/chain-name';
import { RecordId } from '../../domain/record-id';

export interface IntegrityReport {
  readonly failures: number;
  readonly lastRecordId: string | null;
  readonly lastAt: string | null;
}

/**
 * Remembers copies that failed verification, per ledger, so /health can show that a
 * ledger is serving bad data even while reads fail over to the other one.
 */
export class IntegrityMonitor {
  private readonly reports = new Map<ChainName, IntegrityReport>();

  constructor(private readonly onFailure: (message: string) => void = () => undefined) {}

  report(chain: ChainName, recordId: RecordId, at: Date): void {
    const previous = this.reports.get(chain);
    this.reports.set(chain, {
      failures: (previous?.failures ?? 0) + 1,
      lastRecordId: recordId.hex,
      lastAt: at.toISOString(),
    });
    this.onFailure(
      `Integrity check failed for record ${recordId.hex} on ${chain}; served from another ledger if one holds a good copy.`,
    );
  }

  reportFor(chain: ChainName): IntegrityReport {
    return this.reports.get(chain) ?? { failures: 0, lastRecordId: null, lastAt: null };
  }
}
