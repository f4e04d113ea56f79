// ESLint flat config: the layering of README.md's "Layout", as import-restriction zones, one per folder.
// `npm run lint`. Every file gets exactly one zone (a later object's rule options would replace, not extend, an
// earlier one's), so the zones below do not overlap.
//
// Import specifiers are matched as written. A layer's folder is reached from a sibling layer as `../engine`, from
// webview/ as `../src/engine` and from a subfolder as `../../src/engine`, hence the `^(\.\./)+(src/)?` prefix: it
// needs at least one `../`, so a file's own siblings (`./cost`) never match.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const builtins = builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/[/]/g, '\\/'));

/** `import … from 'node:fs'`, `'fs'`, `'fs/promises'`: any Node built-in. */
const node = (why) => ({ regex: `^(node:|(${builtins.join('|')})(\\/|$))`, message: why });
/** `import … from 'vscode'`. */
const vscode = (why) => ({ regex: '^vscode$', message: why });
/** A relative import that reaches one of the given layers (`engine`, `data`, … under src/, or `webview`). */
const layers = (names, why) => ({ regex: `^(\\.\\./)+(src/)?(${names.join('|')})(\\/|$)`, message: why });

/**
 * A relative import of `layer` other than the listed modules (`../data/kinds` passes, `../data/load` and the barrel
 * `../data` do not); `import type` passes, since it is erased at build.
 */
const layerExcept = (layer, modules, why) => ({
  regex: `^(\\.\\./)+(src/)?${layer}(/(?!(${modules.join('|')})$)[^/]+|/?)$`,
  message: why,
  allowTypeImports: true,
});

const restrict = (patterns) => ({ '@typescript-eslint/no-restricted-imports': ['error', { patterns }] });

/** Globals that exist only in Node (or only in a browser): a second net behind the per-folder tsconfig `types: []`. */
const nodeGlobals = ['process', 'Buffer', 'require', 'module', '__dirname', '__filename', 'global', 'setImmediate'];
const browserGlobals = ['window', 'document', 'navigator', 'localStorage', 'location', 'self'];
const restrictGlobals = (names, why) => ({
  'no-restricted-globals': ['error', ...names.map((name) => ({ name, message: why }))],
});

const ENGINE = 'src/engine is pure TypeScript: no vscode, Node or DOM, and nothing from the other layers.';
const PROTOCOL =
  'src/protocol holds types and tiny pure helpers that every layer imports: it imports only src/protocol.';
const DATA =
  'src/data reads files for the worker and the CLI: no vscode, worker, extension, cli or webview; Node only in src/data/nodeFiles.ts.';
const WORKER = 'src/worker runs in a worker thread (and in the CLI): no vscode, extension, cli or webview.';
const EXTENSION = 'src/extension talks to the engine only through the worker (src/worker/client).';
const EXTENSION_CLI =
  'src/extension does not import src/cli: what both need lives in a layer both import (the HTML report in src/report).';
const EXTENSION_DATA =
  'src/extension may use only the src/data modules that read nothing and compute nothing (kinds, defaults, paths, files, errors, outputs, nodeFiles): the readers run in the worker.';
const EXTENSION_WORKER =
  'src/extension reaches the worker through src/worker/client (and transport): the jobs run in the worker thread.';
const REPORT =
  'src/report renders the standalone HTML report for the CLI and the extension: it imports src/protocol and Node only.';
const CLI = 'src/cli runs in plain Node: no vscode, extension or webview.';
const WEBVIEW = 'webview/ runs in the browser panel: it imports only src/protocol and browser libraries.';
const TESTS = 'test/unit runs in plain Node (mocha): it never imports vscode.';

export default [
  {
    // Not source: built bundles, dependencies, caches, test artifacts, AssemblyScript (not TypeScript's dialect).
    ignores: [
      'dist/**',
      'node_modules/**',
      '.cache/**',
      '**/artifacts/**',
      '.vscode-test/**',
      'src/engine/assembly/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      ...restrict([
        vscode(ENGINE),
        node(ENGINE),
        layers(['data', 'worker', 'extension', 'cli', 'report', 'webview'], ENGINE),
        // The engine may name the protocol's types (Result, ResolvedModel, …): `import type` is erased at build, so
        // the engine's code still depends on nothing outside itself. A value import from src/protocol is refused.
        {
          ...layers(['protocol'], 'src/engine may import only types from src/protocol (`import type { … }`).'),
          allowTypeImports: true,
        },
      ]),
      ...restrictGlobals([...nodeGlobals, ...browserGlobals], ENGINE),
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      ...restrict([
        { regex: '^[^.]', message: PROTOCOL },
        layers(['engine', 'data', 'worker', 'extension', 'cli', 'report', 'webview'], PROTOCOL),
      ]),
      ...restrictGlobals([...nodeGlobals, ...browserGlobals], PROTOCOL),
    },
  },
  {
    files: ['src/data/**/*.ts'],
    ignores: ['src/data/nodeFiles.ts'],
    rules: restrict([vscode(DATA), node(DATA), layers(['worker', 'extension', 'cli', 'report', 'webview'], DATA)]),
  },
  {
    files: ['src/data/nodeFiles.ts'],
    rules: restrict([vscode(DATA), layers(['worker', 'extension', 'cli', 'report', 'webview'], DATA)]),
  },
  {
    files: ['src/worker/**/*.ts'],
    rules: restrict([vscode(WORKER), layers(['extension', 'cli', 'report', 'webview'], WORKER)]),
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: restrict([
      layers(['engine', 'webview'], EXTENSION),
      layers(['cli'], EXTENSION_CLI),
      layerExcept('data', ['kinds', 'defaults', 'paths', 'files', 'errors', 'outputs', 'nodeFiles'], EXTENSION_DATA),
      layerExcept('worker', ['client', 'transport'], EXTENSION_WORKER),
    ]),
  },
  {
    files: ['src/report/**/*.ts'],
    rules: restrict([vscode(REPORT), layers(['engine', 'data', 'worker', 'extension', 'cli', 'webview'], REPORT)]),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: restrict([vscode(CLI), layers(['extension', 'webview'], CLI)]),
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      ...restrict([
        vscode(WEBVIEW),
        node(WEBVIEW),
        layers(['engine', 'data', 'worker', 'extension', 'cli', 'report'], WEBVIEW),
      ]),
      ...restrictGlobals(nodeGlobals, WEBVIEW),
    },
  },
  {
    files: ['test/unit/**/*.ts'],
    rules: restrict([vscode(TESTS)]),
  },
];
