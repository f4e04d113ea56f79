// Bytes to text: strict UTF-8 with the position of the first bad byte, and a guess at what a binary file really is.
import { fail, positionInBytes, type Position } from './errors';
import { textDecoder } from './textCodec';

const MAGIC: { bytes: number[]; what: string; hint: string }[] = [
  { bytes: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], what: 'a NumPy array', hint: 'give it the .npy extension' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a zip archive (an Excel .xlsx workbook is one)',
    hint: 'export the sheet as CSV',
  },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed', hint: 'decompress it first (gunzip)' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document', hint: 'export the table as CSV' },
  {
    bytes: [0x89, 0x50, 0x4e, 0x47],
    what: 'a PNG image',
    hint: 'Unroll reads CSV/TSV, text, JSON and .npy sequence files',
  },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

/** Refuse a file that is not text, naming what it looks like. `head` is the file's first bytes. */
export function refuseBinary(head: Uint8Array, file: string, expected: string): void {
  for (const m of MAGIC) {
    if (startsWith(head, m.bytes)) fail(file, { line: 1, column: 1 }, `this is ${m.what}, not ${expected}`, m.hint);
  }
  const nul = head.indexOf(0);
  if (nul !== -1) {
    fail(
      file,
      positionInBytes(head, nul),
      `binary data (a zero byte at offset ${nul}), not ${expected}`,
      'check that this is the file you meant; a text file has no zero bytes',
    );
  }
}

/** Offset of the first byte that breaks UTF-8 (overlong forms and surrogates included), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array, allowTruncatedEnd = false): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return allowTruncatedEnd && continuesWell(bytes, i) ? -1 : i;
    let code = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      code = (code << 6) | (c & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** A multi-byte sequence cut by the end of a chunk is fine if what is there so far is well formed. */
function continuesWell(bytes: Uint8Array, start: number): boolean {
  for (let k = start + 1; k < bytes.length; k++) if ((bytes[k] & 0xc0) !== 0x80) return false;
  return true;
}

/**
 * Decodes a file chunk by chunk, keeping the line count so a bad byte anywhere gets its line and column.
 * The first decoded chunk has its byte-order mark removed (TextDecoder does that).
 */
export class Utf8ChunkDecoder {
  private readonly decoder = textDecoder('utf-8', true);
  private bytesSeen = 0;
  private linesSeen = 0;
  private lastLineStart = 0;

  constructor(private readonly file: string) {}

  decode(chunk: Uint8Array, last: boolean): string {
    try {
      const text = this.decoder.decode(chunk, { stream: !last });
      this.advance(chunk);
      return text;
    } catch {
      const bad = firstInvalidUtf8(chunk, !last);
      // -1: the fault is a sequence begun in the previous chunk, so point at this chunk's start.
      const at = this.positionOf(chunk, Math.max(bad, 0));
      return fail(
        this.file,
        at,
        'this file is not valid UTF-8 text',
        'save it as UTF-8 (most editors offer "Save with Encoding")',
      );
    }
  }

  private positionOf(chunk: Uint8Array, offset: number): Position {
    const inChunk = positionInBytes(chunk, offset);
    if (inChunk.line > 1) return { line: this.linesSeen + inChunk.line, column: inChunk.column };
    return { line: this.linesSeen + 1, column: this.bytesSeen - this.lastLineStart + inChunk.column };
  }

  private advance(chunk: Uint8Array): void {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
      this.linesSeen++;
      this.lastLineStart = this.bytesSeen + i + 1;
    }
    this.bytesSeen += chunk.length;
  }
}

/** Whole-buffer strict decode. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  return new Utf8ChunkDecoder(file).decode(bytes, true);
}
