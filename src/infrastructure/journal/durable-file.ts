import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/**
 * The file-system calls a durable write makes. A seam, not a configuration point: the
 * fsyncs are invisible to any crash test (the page cache outlives a killed process), so
 * tests pass a recording wrapper to see that each step happens, in order, before the answer.
 */
export interface SyncFileSteps {
  mkdir(dir: string): void;
  open(path: string, flags: 'w' | 'a' | 'r'): number;
  write(fd: number, bytes: Uint8Array): void;
  fsync(fd: number): void;
  close(fd: number): void;
  rename(from: string, to: string): void;
}

/** An open file as the asynchronous steps use it (node's FileHandle is one). */
export interface AsyncFileHandle {
  writeFile(bytes: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface AsyncFileSteps {
  mkdir(dir: string): Promise<void>;
  open(path: string, flags: 'w' | 'r'): Promise<AsyncFileHandle>;
  rename(from: string, to: string): Promise<void>;
}

export const NODE_SYNC_FILE_STEPS: SyncFileSteps = {
  mkdir: (dir) => void mkdirSync(dir, { recursive: true, mode: DIR_MODE }),
  open: (path, flags) => openSync(path, flags, FILE_MODE),
  write: (fd, bytes) => void writeSync(fd, bytes),
  fsync: (fd) => fsyncSync(fd),
  close: (fd) => closeSync(fd),
  rename: (from, to) => renameSync(from, to),
};

export const NODE_ASYNC_FILE_STEPS: AsyncFileSteps = {
  mkdir: async (dir) => void (await mkdir(dir, { recursive: true, mode: DIR_MODE })),
  open: (path, flags) => open(path, flags, FILE_MODE),
  rename: (from, to) => rename(from, to),
};

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * Writes a file so that, once this returns, it survives a crash or power loss: data to a
 * temporary file, fsync, rename over the target, fsync the directory (POSIX rename is
 * atomic; the directory fsync makes the new name durable).
 */
export function writeFileDurably(
  path: string,
  data: string | Uint8Array,
  fs: SyncFileSteps = NODE_SYNC_FILE_STEPS,
): void {
  const dir = dirname(path);
  fs.mkdir(dir);
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = fs.open(temporary, 'w');
  try {
    fs.write(fd, bytesOf(data));
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(temporary, path);
  syncDirectory(dir, fs);
}

/**
 * writeFileDurably without blocking the event loop: the same steps (temporary file, fsync,
 * rename, directory fsync) on libuv's thread pool, for writes on a request's path.
 */
export async function writeFileDurablyAsync(
  path: string,
  data: string | Uint8Array,
  fs: AsyncFileSteps = NODE_ASYNC_FILE_STEPS,
): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir);
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await fs.open(temporary, 'w');
  try {
    await file.writeFile(bytesOf(data));
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.rename(temporary, path);
  const directory = await fs.open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** Appends one line and fsyncs it before returning. */
export function appendLineDurably(path: string, line: string, fs: SyncFileSteps = NODE_SYNC_FILE_STEPS): void {
  fs.mkdir(dirname(path));
  const fd = fs.open(path, 'a');
  try {
    fs.write(fd, Buffer.from(`${line}\n`, 'utf8'));
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
}

/** The steps of a durable removal: unlink (a missing file is no error), then fsync the directory. */
export interface SyncRemoveSteps extends Pick<SyncFileSteps, 'open' | 'fsync' | 'close'> {
  unlink(path: string): void;
}

export interface AsyncRemoveSteps extends Pick<AsyncFileSteps, 'open'> {
  unlink(path: string): Promise<void>;
}

export const NODE_SYNC_REMOVE_STEPS: SyncRemoveSteps = {
  ...NODE_SYNC_FILE_STEPS,
  unlink: (path) => rmSync(path, { force: true }),
};

export const NODE_ASYNC_REMOVE_STEPS: AsyncRemoveSteps = {
  ...NODE_ASYNC_FILE_STEPS,
  unlink: (path) => rm(path, { force: true }),
};

/** Removes a file so that the removal survives a crash: unlink, then fsync its directory. */
export function removeFileDurably(path: string, fs: SyncRemoveSteps = NODE_SYNC_REMOVE_STEPS): void {
  fs.unlink(path);
  syncDirectory(dirname(path), fs);
}

/** removeFileDurably for many files, off the event loop: every unlink, then one fsync per directory. */
export async function removeFilesDurablyAsync(
  paths: readonly string[],
  fs: AsyncRemoveSteps = NODE_ASYNC_REMOVE_STEPS,
): Promise<void> {
  for (const path of paths) await fs.unlink(path);
  for (const dir of new Set(paths.map((path) => dirname(path)))) {
    const directory = await fs.open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

export function syncDirectory(
  dir: string,
  fs: Pick<SyncFileSteps, 'open' | 'fsync' | 'close'> = NODE_SYNC_FILE_STEPS,
): void {
  const fd = fs.open(dir, 'r');
  try {
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
}
