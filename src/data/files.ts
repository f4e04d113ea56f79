// The file seams: readers take bytes and writers give bytes; only nodeFiles.ts touches the disk (README, "Layout").

/** What a path is when it is not a regular file: said in messages ("is a FIFO"), never read or written. */
export type FileKind = 'file' | 'folder' | 'fifo' | 'device' | 'socket';

export interface FileSeam {
  readFile(path: string): Promise<Uint8Array>;
  /** undefined when nothing is there; `kind` when the seam can tell (a plain `isFile: false` reads as a folder). */
  stat(path: string): Promise<{ size: number; isFile: boolean; kind?: FileKind } | undefined>;
  /** Resolves symlinks; throws when the path does not exist. */
  realpath(path: string): Promise<string>;
  /** The file in pieces, so a large CSV or text file is never held whole; readers fall back to readFile without it. */
  readChunks?(path: string): AsyncIterable<Uint8Array>;
  /**
   * The names in a folder (the model-file discovery of src/data/kinds.ts looks beside a data file); a seam without
   * it offers only the names that rule ranks by cell.
   */
  list?(folder: string): Promise<string[]>;
}

export interface WriteSeam {
  /** Writes through a temporary file beside `path` and a rename: readers see the old file or the new one, never half. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Creates and removes a temporary file beside `path`: throws what writing there would throw, before any work. */
  probe(path: string): Promise<void>;
}

/** A path that is neither a regular file nor a folder, in words; undefined for files, folders and unknown kinds. */
export function specialFileName(kind: FileKind | undefined): string | undefined {
  return kind === 'fifo'
    ? 'a FIFO (named pipe)'
    : kind === 'device'
      ? 'a device'
      : kind === 'socket'
        ? 'a socket'
        : undefined;
}

/** Files above this are refused before reading (a CSV or text streams, and training keeps all of its numbers). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** A file system error in words, for a problem line. */
export function seamProblem(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'ELOOP') return 'a symbolic link loop (a link that points back to itself)';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'not found';
  return e instanceof Error ? e.message : String(e);
}
