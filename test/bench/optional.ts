// Loads a comparison library at run time, so the bench still runs (and says why) when one is missing,
// and esbuild leaves these large packages out of dist/bench.js.
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Resolves from the repository (dist/bench.js → ../node_modules) or, given, from another install folder. */
export function loadOptional<T>(name: string, fromFolder?: string): { module: T } | { missing: string } {
  const base = fromFolder ? join(fromFolder, 'package.json') : __filename;
  try {
    return { module: createRequire(base)(name) as T };
  } catch (e) {
    return { missing: `${name} could not be loaded (${(e as Error).message.split('\n')[0]})` };
  }
}
