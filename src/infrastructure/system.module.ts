import { Global, Module } from '@nestjs/common';
import { Clock } from '../domain/ports/clock.port';
import { RandomSource } from '../domain/ports/random.port';
import { NodeRandomSource } from './crypto/node-crypto.random';
import { SystemClock } from './system/system.clock';

/** Binds what the process takes from its host: the wall clock and the CSPRNG. Tests replace `Clock`. */
@Global()
@Module({
  providers: [
    { provide: RandomSource, useClass: NodeRandomSource },
    { provide: Clock, useClass: SystemClock },
  ],
  exports: [RandomSource, Clock],
})
export class SystemModule {}
