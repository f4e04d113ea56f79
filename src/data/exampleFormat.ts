// How the example generators write their files: a seeded generator and the CSV and model-file text, shared by
// examples.ts and paperExamples.ts so every example is written the same way.

/** mulberry32: a small seeded generator; the examples only need reproducible, well-spread numbers. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export function csv(header: string[], rows: (string | number)[][]): string {
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

/** JSON on one line with a space after each comma and colon, as a person would write a small value. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`)
      .join(', ')} }`;
  return JSON.stringify(value);
}

export function modelFile(comment: string[], fields: Record<string, unknown>): string {
  const body = Object.entries(fields).map(([k, v]) => `  ${JSON.stringify(k)}: ${inline(v)}`);
  return `${comment.map((c) => `// ${c}`).join('\n')}\n{\n${body.join(',\n')}\n}\n`;
}
