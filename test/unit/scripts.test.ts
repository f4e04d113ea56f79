// package.json's scripts: what `npm test` runs, expanded through the `npm run` steps it calls, builds once; the type
// check covers every tsconfig; the scripts an extension author expects exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const scripts = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

/** The commands a script runs, with each `npm run <name>` replaced by that script's commands. */
function expand(name: string, seen: string[] = []): string[] {
  assert.ok(!seen.includes(name), `scripts call each other in a loop: ${[...seen, name].join(' → ')}`);
  return scripts[name].split('&&').flatMap((part) => {
    const command = part.trim();
    const run = /^npm run (?:-s |--silent )?([\w:-]+)(?: --silent)?$/.exec(command);
    return run ? expand(run[1], [...seen, name]) : [command];
  });
}

describe('package.json scripts', () => {
  it('npm test builds once: the webview suite does not rebuild what the test run built', () => {
    const steps = expand('test');
    assert.equal(steps.filter((c) => c === 'node esbuild.mjs').length, 1, steps.join('\n'));
    assert.ok(steps.includes('mocha --config test/webview/.mocharc.json'), 'the webview suite runs');
    // Run alone, the webview suite builds first (it loads dist/webview.js).
    assert.deepEqual(expand('test:webview'), ['node esbuild.mjs', 'mocha --config test/webview/.mocharc.json']);
  });

  it('typecheck is one tsc -b over the root tsconfig and every per-folder one', () => {
    assert.equal(scripts.typecheck, 'tsc -b tsconfig.check.json');
    const text = readFileSync(path.join(ROOT, 'tsconfig.check.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    const references = (JSON.parse(text) as { references: { path: string }[] }).references.map((r) => r.path).sort();
    assert.deepEqual(references, ['src/data', 'src/engine', 'src/protocol', 'tsconfig.json', 'webview']);
  });

  it('has lint, watch and vscode:prepublish', () => {
    assert.match(scripts.lint, /^eslint /);
    assert.equal(scripts.watch, 'node esbuild.mjs --watch');
    assert.equal(scripts['vscode:prepublish'], 'node esbuild.mjs --production');
  });
});
