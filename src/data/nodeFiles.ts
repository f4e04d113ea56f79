// The FileSeam on Node's file system: the only file in src/data that imports Node (excluded from its tsconfig).
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { FileSeam } from './files';

const CHUNK_BYTES = 1024 * 1024;

export const nodeFiles: FileSeam = {
  async readFile(path) {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  async stat(path) {
    try {
      const s = await stat(path);
      return { size: s.size, isFile: s.isFile() };
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
