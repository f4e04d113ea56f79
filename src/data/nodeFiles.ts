// The file seams on Node's file system: the only file in src/data that imports Node (excluded from its tsconfig).
import { randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { chmod, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { FileKind, FileSeam, WriteSeam } from './files';

const CHUNK_BYTES = 1024 * 1024;

function kindOf(s: Stats): FileKind {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'folder';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  return 'device';
}

export const nodeFiles: FileSeam = {
  async readFile(path) {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  async stat(path) {
    try {
      const s = await stat(path);
      return { size: s.size, isFile: s.isFile(), kind: kindOf(s) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
  },
  realpath(path) {
    return realpath(path);
  },
  async *readChunks(path) {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      const buffer = chunk as Buffer;
      yield new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
  },
};

/** A name no one else uses, in the target's own folder (a rename across file systems would not be atomic). */
function temporaryBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes `data` with `write`, cleaning the temporary file up when anything fails. */
async function throughTemporary(target: string, use: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = temporaryBeside(target);
  try {
    await use(temporary);
  } finally {
    await rm(temporary, { force: true });
  }
}

export const nodeWrites: WriteSeam = {
  async writeFile(target, data) {
    // Through a link, the file it points at is replaced, and a replaced file keeps its permissions.
    const existing = await realpath(target).catch(() => undefined);
    const destination = existing ?? target;
    const mode = existing ? (await stat(existing)).mode & 0o7777 : undefined;
    await throughTemporary(destination, async (temporary) => {
      await writeFile(temporary, data, { flag: 'wx' });
      if (mode !== undefined) await chmod(temporary, mode);
      await rename(temporary, destination);
    });
  },
  async probe(target) {
    await throughTemporary(target, (temporary) => writeFile(temporary, '', { flag: 'wx' }));
  },
};
