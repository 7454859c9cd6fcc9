import { InMemoryEmrRepository } from '../../src/infrastructure/memory/in-memory-emr.repository';
import { describeEmrRepositoryPort } from './emr-repository.port-suite';

const clock = { now: () => new Date() };

describeEmrRepositoryPort('in-memory supchain', async () => ({
  repository: new InMemoryEmrRepository('supchain', clock),
  teardown: async () => undefined,
}));

describeEmrRepositoryPort('in-memory medchain', async () => ({
  repository: new InMemoryEmrRepository('medchain', clock),
  teardown: async () => undefined,
}));
