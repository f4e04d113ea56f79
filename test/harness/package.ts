// Packages the extension (and the test runner) as .vsix files with @vscode/vsce, and checks what went in.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { repoRoot } from './install';

export const vsixPath = join(repoRoot, 'unroll.vsix');
const runnerDir = join(repoRoot, 'test', 'vscode', 'runner');

/** Must be in Unroll's .vsix (issue 6: only what runs, plus the documents). */
export const REQUIRED_VSIX_ENTRIES = [
  'extension/package.json',
  'extension/readme.md',
  'extension/LICENSE.txt',
  'extension/changelog.md',
  'extension/dist/extension.js',
  'extension/dist/worker.js',
  'extension/dist/webview.js',
  'extension/dist/webview.css',
  'extension/media/icon.png',
];

/** Entries that would mean the package carries sources, tests or dependencies. */
const FORBIDDEN_VSIX_ENTRY = /^extension\/(src|test|webview|node_modules|\.cache)\/|\.map$|\.ts$/;

/** File names inside a .vsix (a zip), via unzip. */
export function vsixEntries(path: string): string[] {
  return execFileSync('unzip', ['-Z1', path], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

export interface PackagedExtension {
  path: string;
  bytes: number;
  entries: string[];
}

/** `npm run package`: production bundles, then vsce. Throws when the contents are not what ships. */
export function packageUnroll(): PackagedExtension {
  execFileSync('npm', ['run', 'package', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  const entries = vsixEntries(vsixPath);
  const missing = REQUIRED_VSIX_ENTRIES.filter((e) => !entries.some((x) => x.toLowerCase() === e.toLowerCase()));
  if (missing.length) throw new Error(`${vsixPath} lacks ${missing.join(', ')}`);
  if (!entries.some((e) => e.startsWith('extension/examples/'))) throw new Error(`${vsixPath} lacks examples/`);
  if (!entries.some((e) => e.startsWith('extension/media/schemas/')))
    throw new Error(`${vsixPath} lacks the model schema (media/schemas/)`);
  const extra = entries.filter((e) => FORBIDDEN_VSIX_ENTRY.test(e));
  if (extra.length) throw new Error(`${vsixPath} carries files that do not run: ${extra.join(', ')}`);
  return { path: vsixPath, bytes: statSync(vsixPath).size, entries };
}

/** Folders whose *.test.ts run inside the extension host: the integration suites and the reliability soak. */
const suiteDirs = [join(repoRoot, 'test', 'vscode', 'suite'), join(repoRoot, 'test', 'reliability', 'vscode')];

/** Bundles the runner (test/vscode/runner/src) and every suite of `suiteDirs` into test/vscode/runner/dist. */
export async function bundleTestRunner(): Promise<void> {
  const suites = suiteDirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join(dir, f)),
  );
  const node: BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    mainFields: ['module', 'main'],
    logLevel: 'error',
    sourcemap: 'inline',
  };
  await build({
    ...node,
    entryPoints: [join(runnerDir, 'src', 'runner.ts')],
    outfile: join(runnerDir, 'dist', 'runner.js'),
  });
  // Flat output (dist/suite/<name>.test.js), whichever folder a suite comes from: the runner lists one folder.
  const entryPoints = suites.map((file) => ({ in: file, out: basename(file, '.ts') }));
  await build({ ...node, entryPoints, outdir: join(runnerDir, 'dist', 'suite') });
}

/** The runner extension, bundled and packaged as a .vsix to install beside Unroll. */
export async function packageTestRunner(): Promise<string> {
  await bundleTestRunner();
  const out = join(repoRoot, '.cache', 'harness', 'unroll-test-runner.vsix');
  execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'vsce'),
    ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', out],
    {
      cwd: runnerDir,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return out;
}

if (require.main === module) {
  bundleTestRunner().then(
    () => console.log('bundled test/vscode suites into test/vscode/runner/dist'),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
