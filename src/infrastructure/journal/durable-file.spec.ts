import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileDurably, writeFileDurablyAsync } from './durable-file';

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
