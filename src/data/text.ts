// Plain text for character-level language modelling: the vocabulary is every character of the file (by code
// point, so characters outside the BMP stay whole), the kept prefix is what the analysis sees.
import { refuseBinary, Utf8ChunkDecoder } from './bytes';
import { fail, START } from './errors';

export interface TextCorpus {
  /** Sorted unique characters of the whole file. */
  vocab: string[];
  /** The first `keepChars` characters. */
  kept: string[];
  /** Characters in the whole file. */
  totalChars: number;
}

export async function readText(input: Uint8Array | AsyncIterable<Uint8Array>, file: string, keepChars: number): Promise<TextCorpus> {
  const chunks = input instanceof Uint8Array ? [input] : input;
  const decoder = new Utf8ChunkDecoder(file);
  const seen = new Set<string>();
  const kept: string[] = [];
  let totalChars = 0;
  const take = (text: string) => {
    for (const ch of text) {
      seen.add(ch);
      if (kept.length < keepChars) kept.push(ch);
      totalChars++;
    }
  };
  let first = true;
  for await (const chunk of chunks) {
    if (first && chunk.length > 0) {
      refuseBinary(chunk.subarray(0, 8192), file, 'a text file');
      first = false;
    }
    take(decoder.decode(chunk, false));
  }
  take(decoder.decode(new Uint8Array(0), true));
  if (totalChars < 2) {
    fail(file, START, totalChars === 0 ? 'the file is empty' : 'the file has a single character', 'character-level modelling needs at least two characters: each one predicts the next');
  }
  const vocab = [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  return { vocab, kept, totalChars };
}
