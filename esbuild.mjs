// One build helper, one entry per bundle: extension host, worker, CLI and the bench (node, cjs), webview (browser,
// iife). --production (vscode:prepublish) minifies, drops source maps and skips the bench; --watch rebuilds on change.
// tsc type-checks (npm run typecheck); esbuild only bundles.
import { build, context } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', legalComments: 'none' };
// Prefer packages' ES module builds: some (jsonc-parser) ship a UMD `main` whose inner requires esbuild cannot follow.
const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  mainFields: ['module', 'main'],
};

const entries = [
  { ...node, entryPoints: ['src/extension/index.ts'], outfile: 'dist/extension.js' },
  { ...node, entryPoints: ['src/worker/main.ts'], outfile: 'dist/worker.js' },
  // The analysis worker's helper thread for ρ/σ_max (src/worker/spectralThread.ts starts it from dist/).
  { ...node, entryPoints: ['src/worker/spectralMain.ts'], outfile: 'dist/spectral.js' },
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The bench is a development tool: the packaged extension does not carry it.
  ...(production ? [] : [{ ...node, entryPoints: ['test/bench/bench.ts'], outfile: 'dist/bench.js' }]),
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
  },
].filter((e) => existsSync(e.entryPoints[0]));

if (watch) {
  // Rebuild each bundle on every change until stopped (npm run watch); the first build happens at once.
  for (const e of entries) await (await context(e)).watch();
  console.log('watching: dist/ is rebuilt on every change (Ctrl-C to stop)');
} else {
  await Promise.all(entries.map((e) => build(e)));
}
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
