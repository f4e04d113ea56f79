// The file-reading seam: readers take bytes; only nodeFiles.ts touches the disk (DESIGN.md §2).
export interface FileSeam {
  readFile(path: string): Promise<Uint8Array>;
  /** undefined when nothing is there. */
  stat(path: string): Promise<{ size: number; isFile: boolean } | undefined>;
  /** Resolves symlinks; throws when the path does not exist. */
  realpath(path: string): Promise<string>;
  /** The file in pieces, so a large CSV or text file is never held whole; readers fall back to readFile without it. */
  readChunks?(path: string): AsyncIterable<Uint8Array>;
}
