// Plain text for character-level language modelling: the vocabulary is every character of the file (by code
// point, so characters outside the BMP stay whole), and the whole text is kept as indices into it (one to four
// bytes a character, never a string per character), so training can use all of it.
import { refuseBinary, Utf8ChunkDecoder } from './bytes';
import { fail, START } from './errors';

export type CharIndices = Uint8Array | Uint16Array | Uint32Array;

export interface TextCorpus {
  /** Unique characters of the whole file, sorted by Unicode code point (as Python's sorted(set(text))). */
  vocab: string[];
  /** Every character of the file as its index in `vocab`. */
  ids: CharIndices;
  /** Characters in the whole file (= ids.length). */
  totalChars: number;
}

const BLOCK_CHARS = 1 << 16;

/** Characters numbered in order of first appearance while streaming; renumbered by sorted vocabulary at the end. */
class CharCollector {
  /** UTF-16 code unit → first-appearance number + 1 (0 = not seen); characters outside the BMP go through `astral`. */
  private readonly bmp = new Uint32Array(0x10000);
  private readonly astral = new Map<number, number>();
  readonly chars: string[] = [];
  private readonly blocks: Uint32Array[] = [];
  private fill = BLOCK_CHARS;
  total = 0;

  take(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      let id: number;
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
        // The decoder hands over whole code points, so a high surrogate is followed by its low one.
        const point = text.codePointAt(i)!;
        i++;
        id = this.astral.get(point) ?? this.add(String.fromCodePoint(point), (n) => this.astral.set(point, n));
      } else {
        id = this.bmp[unit] - 1;
        if (id < 0) id = this.add(String.fromCharCode(unit), (n) => (this.bmp[unit] = n + 1));
      }
      this.push(id);
    }
  }

  private add(ch: string, remember: (n: number) => void): number {
    const n = this.chars.length;
    this.chars.push(ch);
    remember(n);
    return n;
  }

  private push(id: number): void {
    if (this.fill === BLOCK_CHARS) {
      this.blocks.push(new Uint32Array(BLOCK_CHARS));
      this.fill = 0;
    }
    this.blocks[this.blocks.length - 1][this.fill++] = id;
    this.total++;
  }

  finish(): { vocab: string[]; ids: CharIndices } {
    const order = this.chars
      .map((_, n) => n)
      .sort((a, b) => this.chars[a].codePointAt(0)! - this.chars[b].codePointAt(0)!);
    const rank = new Uint32Array(this.chars.length);
    order.forEach((n, r) => (rank[n] = r));
    const V = this.chars.length;
    const ids =
      V <= 0x100
        ? new Uint8Array(this.total)
        : V <= 0x10000
          ? new Uint16Array(this.total)
          : new Uint32Array(this.total);
    let at = 0;
    for (let b = 0; b < this.blocks.length; b++) {
      const block = this.blocks[b];
      const used = b === this.blocks.length - 1 ? this.fill : BLOCK_CHARS;
      for (let k = 0; k < used; k++) ids[at++] = rank[block[k]];
    }
    this.blocks.length = 0;
    return { vocab: order.map((n) => this.chars[n]), ids };
  }
}

export async function readText(input: Uint8Array | AsyncIterable<Uint8Array>, file: string): Promise<TextCorpus> {
  const chunks = input instanceof Uint8Array ? [input] : input;
  const decoder = new Utf8ChunkDecoder(file);
  const collector = new CharCollector();
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length > 0) {
      refuseBinary(chunk.subarray(0, 8192), file, 'a text file');
      first = false;
    }
    collector.take(decoder.decode(chunk, false));
  }
  collector.take(decoder.decode(new Uint8Array(0), true));
  const totalChars = collector.total;
  if (totalChars < 2) {
    fail(
      file,
      START,
      totalChars === 0 ? 'the file is empty' : 'the file has a single character',
      'character-level modelling needs at least two characters: each one predicts the next',
    );
  }
  const { vocab, ids } = collector.finish();
  return { vocab, ids, totalChars };
}
