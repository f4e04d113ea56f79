// The extension host carries no engine, no readers and no WebAssembly: those run in the worker (dist/worker.js).
// Loading the engine in the host would compile its wasm module and parse papaparse every time VS Code starts it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '../..');
const dist = (name: string) => path.join(ROOT, 'dist', name);

/** Strings only the engine, the readers or the wasm kernels put in a bundle; each survives minification. */
const WORKER_ONLY: { what: string; marker: string }[] = [
  { what: 'the WebAssembly API (src/engine/wasm.ts instantiates the kernels)', marker: 'WebAssembly' },
  { what: 'the wasm kernels (base64 of the "\\0asm" header, src/engine/kernelsWasm.ts)', marker: 'AGFzbQ' },
  { what: 'the engine (src/engine/eigen.ts)', marker: 'QR iteration did not converge' },
  { what: 'papaparse (the CSV reader)', marker: 'UndetectableDelimiter' },
];

/** The only data modules the host needs: the file kinds and model-file discovery, output checks before a report is written, and their file seams. */
const HOST_DATA = new Set([
  'defaults.ts',
  'errors.ts',
  'files.ts',
  'kinds.ts',
  'nodeFiles.ts',
  'outputs.ts',
  'paths.ts',
]);

describe('the extension bundle (dist/extension.js)', () => {
  before(function () {
    // npm test builds first; a bare `mocha` run builds the bundles here.
    if (!existsSync(dist('extension.js')) || !existsSync(dist('worker.js')))
      execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT });
  });

  it('carries no engine, reader or wasm, while the worker bundle does', () => {
    const extension = readFileSync(dist('extension.js'), 'utf8');
    const worker = readFileSync(dist('worker.js'), 'utf8');
    for (const { what, marker } of WORKER_ONLY) {
      // The marker is real: the worker, built from the same sources, carries it.
      assert.ok(worker.includes(marker), `dist/worker.js should contain ${JSON.stringify(marker)} (${what})`);
      assert.ok(
        !extension.includes(marker),
        `dist/extension.js contains ${JSON.stringify(marker)}: it bundles ${what}`,
      );
    }
  });

  it('imports no module of src/engine or src/cli, no reader, no job handler and no papaparse', async () => {
    // The same entry and node options as esbuild.mjs, in memory, to list the modules that reach the output.
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: ['src/extension/index.ts'],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      mainFields: ['module', 'main'],
      write: false,
      metafile: true,
      outfile: 'extension.js',
      logLevel: 'silent',
    });
    const [output] = Object.values(result.metafile.outputs);
    const bundled = Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([file]) => file.replace(/\\/g, '/'));
    assert.ok(bundled.includes('src/extension/index.ts'), `unexpected module list: ${bundled.join(', ')}`);
    const wrong = bundled.filter(
      (file) =>
        file.startsWith('src/engine/') ||
        file.startsWith('src/cli/') ||
        file.includes('node_modules/papaparse/') ||
        (file.startsWith('src/worker/') && !['src/worker/client.ts', 'src/worker/transport.ts'].includes(file)) ||
        (file.startsWith('src/data/') && !HOST_DATA.has(file.slice('src/data/'.length))),
    );
    assert.deepEqual(wrong, [], 'the extension host bundles modules that belong in the worker');
  });
});
