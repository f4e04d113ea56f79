// How a command's file argument is read. A menu passes a Uri; the walkthrough's buttons (command links) can only
// pass JSON, so they name an example file relative to the workspace ("exploding.rnn.unroll.json"), wherever the
// user copied the examples. No vscode here: unit-tested.
import { isAbsolute, normalize, sep } from 'node:path';

export type FileArgument = { kind: 'absolute'; path: string } | { kind: 'relative'; path: string };

/**
 * A string argument as a file: absolute paths as they are, others relative to the workspace (forward or back
 * slashes). Undefined for anything else (the caller handles Uris) and for names that leave the workspace ("..").
 */
export function fileArgument(arg: unknown): FileArgument | undefined {
  if (typeof arg !== 'string' || arg.trim() === '') return undefined;
  if (isAbsolute(arg)) return { kind: 'absolute', path: normalize(arg) };
  const path = normalize(arg.replace(/[\\/]+/g, sep));
  if (path === '..' || path.startsWith(`..${sep}`)) return undefined;
  return { kind: 'relative', path };
}

/**
 * Among files found anywhere in the workspace under the relative name `path` (absolute paths), the one a
 * person most likely means: the shallowest, then in name order. Only whole path components match:
 * `sine.csv` does not match `/w/cosine.csv`.
 */
export function bestMatch(path: string, found: readonly string[]): string | undefined {
  const tail = sep + path;
  const depth = (p: string) => p.split(sep).length;
  return found.filter((p) => p.endsWith(tail)).sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0))[0];
}

/** What to tell a person whose button named a file the workspace does not have. */
export function missingFileMessage(path: string, isExample: boolean, hasWorkspace: boolean): string {
  const where = hasWorkspace ? 'is not in this workspace' : 'cannot be found: no folder is open';
  return isExample
    ? `Unroll: ${path} ${where}. It is one of Unroll's examples: "Open Examples" copies them into a folder; open that folder and try again.`
    : `Unroll: ${path} ${where}.`;
}
