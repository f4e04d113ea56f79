// Path arithmetic without Node's `path` (this layer must not import Node): POSIX paths, and Windows paths
// (drive letters, backslashes, case-insensitive) when the extension host runs there.

function isWindowsStyle(p: string): boolean {
  return /^[a-zA-Z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function split(p: string): { root: string; parts: string[]; sep: string } {
  const windows = isWindowsStyle(p);
  const sep = windows ? '\\' : '/';
  const normalized = windows ? p.replace(/\//g, '\\') : p;
  const root = windows ? (/^[a-zA-Z]:\\/.exec(normalized)?.[0] ?? '\\\\') : normalized.startsWith('/') ? '/' : '';
  return { root, parts: normalized.slice(root.length).split(sep), sep };
}

export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || isWindowsStyle(p);
}

/** `relative` resolved against the directory `baseDir` ('.' and '..' folded; '..' never climbs above the root). */
export function resolvePath(baseDir: string, relative: string): string {
  const full = isAbsolutePath(relative) ? relative : `${baseDir}${isWindowsStyle(baseDir) ? '\\' : '/'}${relative}`;
  const { root, parts, sep } = split(full);
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return root + out.join(sep);
}

export function dirname(p: string): string {
  const { root, parts, sep } = split(p);
  const kept = parts.filter((x) => x !== '').slice(0, -1);
  return root + kept.join(sep) || '.';
}

export function basename(p: string): string {
  const parts = split(p).parts.filter((x) => x !== '');
  return parts[parts.length - 1] ?? '';
}

/** True when `p` is `root` or below it (both absolute and already resolved). */
export function isInside(root: string, p: string): boolean {
  const windows = isWindowsStyle(root);
  const norm = (x: string) => {
    const r = resolvePath(x, '.');
    return windows ? r.toLowerCase() : r;
  };
  const r = norm(root);
  const q = norm(p);
  const sep = windows ? '\\' : '/';
  return q === r || q.startsWith(r.endsWith(sep) ? r : r + sep);
}

/** `p` relative to `root` when inside it (for messages), else `p` itself. */
export function displayPath(root: string, p: string): string {
  if (!isInside(root, p)) return p;
  const r = resolvePath(root, '.');
  const rest = resolvePath(p, '.')
    .slice(r.length)
    .replace(/^[\\/]/, '');
  return rest || basename(p);
}
