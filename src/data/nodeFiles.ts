// The file seams on Node's file system: the only file in src/data that imports Node (excluded from its tsconfig).
import { randomBytes } from 'node:crypto';
import { constants, createReadStream, type Stats } from 'node:fs';
import { access, chmod, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
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
  list(folder) {
    return readdir(folder);
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
  return path.join(
    path.dirname(target),
    `.${path.basename(target).slice(0, 100)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
  );
}

/** Runs `use` on a fresh temporary path beside `target`, and removes what is left there afterwards (a failed write). */
async function throughTemporary(target: string, use: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = temporaryBeside(target);
  try {
    await use(temporary);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Through a link, the file it points at is what gets replaced (the link stays). */
function destinationOf(target: string): Promise<string> {
  return realpath(target).catch(() => target);
}

export const nodeWrites: WriteSeam = {
  async writeFile(target, data) {
    const destination = await destinationOf(target);
    // A replaced file keeps its permissions.
    const mode = await stat(destination).then(
      (s) => s.mode & 0o7777,
      () => undefined,
    );
    await throughTemporary(destination, async (temporary) => {
      await writeFile(temporary, data, { flag: 'wx' });
      if (mode !== undefined) await chmod(temporary, mode);
      await rename(temporary, destination);
    });
  },
  async probe(target) {
    const destination = await destinationOf(target);
    // A rename would replace a read-only file too; its mode says the owner wants it kept.
    await access(destination, constants.W_OK).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await throughTemporary(destination, (temporary) => writeFile(temporary, '', { flag: 'wx' }));
  },
};
