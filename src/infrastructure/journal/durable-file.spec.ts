import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendLineDurably,
  AsyncFileSteps,
  NODE_ASYNC_FILE_STEPS,
  NODE_SYNC_FILE_STEPS,
  SyncFileSteps,
  syncDirectory,
  writeFileDurably,
  writeFileDurablyAsync,
} from './durable-file';

describe.each([
  ['writeFileDurably', async (path: string, data: string | Uint8Array) => writeFileDurably(path, data)],
  ['writeFileDurablyAsync', writeFileDurablyAsync],
])('%s', (_name, write) => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emr-durable-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates missing directories and leaves only the target, readable by its owner alone', async () => {
    const path = join(dir, 'a', 'b', 'entry.json');
    await write(path, '{"x":1}');
    expect(readFileSync(path, 'utf8')).toBe('{"x":1}');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['entry.json']);
  });

  it('replaces an existing file whole, bytes included', async () => {
    const path = join(dir, 'entry.bin');
    await write(path, 'first version, longer than the second');
    await write(path, Uint8Array.from([0, 1, 2, 255]));
    expect([...readFileSync(path)]).toEqual([0, 1, 2, 255]);
  });
});

/**
 * The durable steps themselves, seen through the file-system seam: a crash test cannot tell
 * a missing fsync (the page cache survives a killed process), so each call is recorded as it
 * completes, with paths named by role, and the answer is recorded when the write returns.
 */
describe('the durable-write steps', () => {
  let dir: string;
  let steps: string[];
  const roleOf = (path: string) =>
    path === dir ? 'directory' : path.endsWith('.tmp') ? 'temporary' : path.endsWith('entry.json') ? 'target' : path;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'emr-durable-steps-'));
    steps = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function recordingSyncSteps(): SyncFileSteps {
    const roles = new Map<number, string>();
    const real = NODE_SYNC_FILE_STEPS;
    const done = (step: string) => steps.push(step);
    return {
      mkdir: (path) => (real.mkdir(path), done(`mkdir ${roleOf(path)}`)),
      open: (path, flags) => {
        const fd = real.open(path, flags);
        roles.set(fd, roleOf(path));
        done(`open ${roleOf(path)}`);
        return fd;
      },
      write: (fd, bytes) => (real.write(fd, bytes), done(`write ${roles.get(fd)}`)),
      fsync: (fd) => (real.fsync(fd), done(`fsync ${roles.get(fd)}`)),
      close: (fd) => (real.close(fd), done(`close ${roles.get(fd)}`)),
      rename: (from, to) => (real.rename(from, to), done(`rename ${roleOf(from)} ${roleOf(to)}`)),
    };
  }

  function recordingAsyncSteps(): AsyncFileSteps {
    const real = NODE_ASYNC_FILE_STEPS;
    // Steps are recorded a turn after they finish, so one the code does not await lands late.
    const done = async (step: string) => {
      await new Promise((resolve) => setImmediate(resolve));
      steps.push(step);
    };
    return {
      mkdir: async (path) => (await real.mkdir(path), await done(`mkdir ${roleOf(path)}`)),
      open: async (path, flags) => {
        const handle = await real.open(path, flags);
        const role = roleOf(path);
        await done(`open ${role}`);
        return {
          writeFile: async (bytes) => (await handle.writeFile(bytes), await done(`write ${role}`)),
          sync: async () => (await handle.sync(), await done(`fsync ${role}`)),
          // Recorded when called: closing while a sync is still running is the step out of order.
          close: async () => (steps.push(`close ${role}`), await handle.close()),
        };
      },
      rename: async (from, to) => (await real.rename(from, to), await done(`rename ${roleOf(from)} ${roleOf(to)}`)),
    };
  }

  const DURABLE_REPLACE = [
    'mkdir directory',
    'open temporary',
    'write temporary',
    'fsync temporary',
    'close temporary',
    'rename temporary target',
    'open directory',
    'fsync directory',
    'close directory',
    'answered',
  ];

  it('#11.13 writeFileDurably: the file fsync before the rename, the directory fsync after it, all before it returns', () => {
    writeFileDurably(join(dir, 'entry.json'), '{"x":1}', recordingSyncSteps());
    steps.push('answered');
    expect(steps).toEqual(DURABLE_REPLACE);
    expect(readFileSync(join(dir, 'entry.json'), 'utf8')).toBe('{"x":1}');
  });

  it('#11.13 writeFileDurablyAsync: the same steps, each finished before the promise resolves', async () => {
    await writeFileDurablyAsync(join(dir, 'entry.json'), '{"x":1}', recordingAsyncSteps());
    steps.push('answered');
    expect(steps).toEqual(DURABLE_REPLACE);
    expect(readFileSync(join(dir, 'entry.json'), 'utf8')).toBe('{"x":1}');
  });

  it('#11.13 appendLineDurably: the appended line is fsynced before it returns', () => {
    appendLineDurably(join(dir, 'entry.json'), 'line', recordingSyncSteps());
    steps.push('answered');
    expect(steps).toEqual([
      'mkdir directory',
      'open target',
      'write target',
      'fsync target',
      'close target',
      'answered',
    ]);
  });

  it('#11.13 syncDirectory: the directory itself is fsynced', () => {
    syncDirectory(dir, recordingSyncSteps());
    expect(steps).toEqual(['open directory', 'fsync directory', 'close directory']);
  });
});
