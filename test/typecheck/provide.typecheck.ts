/**
 * Compiled, never run: tsconfig.json takes in test/**, so `npm run typecheck` (and any
 * `tsc -p tsconfig.json`) checks this file. Each `@ts-expect-error` below must meet the error it
 * announces, or tsc fails with "Unused '@ts-expect-error' directive". So if `provide` stopped
 * checking a use case's wiring against its constructor, the type check would fail.
 */
import { ConfigService } from '@nestjs/config';
import { provide, provideFactory } from '../../src/app/provide';
import { UploadPreparation } from '../../src/application/records/upload-preparation';
import { Idempotency } from '../../src/application/records/idempotency';
import { ReplicaCopier } from '../../src/application/replication/replica-copier';
import { UploadRecordUseCase } from '../../src/application/records/upload-record.use-case';
import { Ledgers } from '../../src/domain/ledgers';
import { Cipher } from '../../src/domain/ports/cipher.port';
import { Clock } from '../../src/domain/ports/clock.port';
import { Hasher } from '../../src/domain/ports/hasher.port';
import { ReplicationJournal } from '../../src/domain/ports/replication-journal.port';

abstract class Inbox {
  abstract receive(): string;
}
abstract class Outbox {
  abstract send(message: string): void;
}
abstract class Archive {
  abstract keep(message: string): number;
}

class Relay {
  constructor(
    readonly inbox: Inbox,
    readonly outbox: Outbox,
  ) {}
}

class Courier {
  constructor(
    readonly outbox: Outbox,
    readonly log: (message: string) => void = () => undefined,
  ) {}
}

// Named lists, so each `provide` call below stays on the line its directive covers.
const UPLOAD_PORTS = [
  UploadPreparation,
  Ledgers,
  Cipher,
  Hasher,
  ReplicaCopier,
  ReplicationJournal,
  Idempotency,
] as const;
const UPLOAD_PORTS_SWAPPED = [
  UploadPreparation,
  Ledgers,
  Hasher,
  Cipher,
  ReplicaCopier,
  ReplicationJournal,
  Idempotency,
] as const;

export const wired = [
  provide(Relay, [Inbox, Outbox]),
  // @ts-expect-error a swapped pair: the constructor takes (Inbox, Outbox)
  provide(Relay, [Outbox, Inbox]),
  // @ts-expect-error a missing port
  provide(Relay, [Inbox]),
  // @ts-expect-error an extra port
  provide(Relay, [Inbox, Outbox, Archive]),
  // @ts-expect-error a wrong port
  provide(Relay, [Inbox, Archive]),

  // A trailing optional parameter may be left to its default, as `new Courier(outbox)` may.
  provide(Courier, [Outbox]),

  // A real use case, in its constructor's order, then with two of its ports swapped.
  provide(UploadRecordUseCase, UPLOAD_PORTS),
  // @ts-expect-error Cipher and Hasher swapped
  provide(UploadRecordUseCase, UPLOAD_PORTS_SWAPPED),

  // A factory's parameters are typed by its tokens.
  provideFactory(Courier, [Outbox, Clock], (outbox, clock) => new Courier(outbox, () => clock.now())),
  // @ts-expect-error the factory's parameters are in another order than its tokens
  provideFactory(Courier, [Outbox, Clock], (clock: Clock, outbox: Outbox) => new Courier(outbox, () => clock.now())),
  // @ts-expect-error the factory builds something other than the token stands for
  provideFactory(Relay, [Outbox], (outbox) => new Courier(outbox)),
  provideFactory(Courier, [ConfigService, Outbox], (config, outbox) => new Courier(outbox, () => config.get('PORT'))),
];
