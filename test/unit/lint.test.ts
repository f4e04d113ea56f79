import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';

// The layering rules of eslint.config.mjs, run through ESLint's Node API on code that is not in the repository:
// each forbidden import must be reported at its line, each permitted one must pass.
const repoRoot = path.resolve(__dirname, '../..');

describe('lint: the layering', () => {
  const eslint = new ESLint({ cwd: repoRoot });
  const lint = async (filePath: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath });
    return result!.messages;
  };
  const refused = async (filePath: string, code: string, says: RegExp) => {
    const messages = await lint(filePath, code);
    assert.equal(messages.length, 1, `${filePath}: ${code}\n${JSON.stringify(messages)}`);
    assert.equal(messages[0]!.severity, 2);
    assert.equal(messages[0]!.line, 1);
    assert.match(messages[0]!.message, says);
  };
  const permitted = async (filePath: string, code: string) => {
    assert.deepEqual(await lint(filePath, code), [], `${filePath}: ${code}`);
  };

  it('refuses vscode in src/engine', async () => {
    await refused(
      'src/engine/x.ts',
      "import * as vscode from 'vscode';\nexport const a = vscode;\n",
      /src\/engine is pure TypeScript/,
    );
  });

  it('refuses the engine in webview/, from the folder and from a subfolder', async () => {
    await refused(
      'webview/x.ts',
      "import { analyze } from '../src/engine';\nexport const a = analyze;\n",
      /webview\/ runs in the browser/,
    );
    await refused(
      'webview/views/x.ts',
      "import { analyze } from '../../src/engine/analyze';\nexport const a = analyze;\n",
      /webview\//,
    );
  });

  it('refuses Node built-ins in src/engine, with or without node:', async () => {
    await refused(
      'src/engine/x.ts',
      "import { readFile } from 'node:fs';\nexport const a = readFile;\n",
      /src\/engine/,
    );
    await refused(
      'src/engine/x.ts',
      "import { readFile } from 'fs/promises';\nexport const a = readFile;\n",
      /src\/engine/,
    );
  });

  it('refuses Node globals in src/engine', async () => {
    await refused('src/engine/x.ts', 'export const a = process.env;\n', /src\/engine/);
  });

  it('lets src/engine import types, and only types, from src/protocol', async () => {
    await permitted(
      'src/engine/x.ts',
      "import type { ResolvedModel } from '../protocol/result';\nexport type A = ResolvedModel;\n",
    );
    await refused(
      'src/engine/x.ts',
      "import { glossary } from '../protocol/glossary';\nexport const a = glossary;\n",
      /only types from src\/protocol/,
    );
  });

  it('keeps Node in src/data to nodeFiles.ts', async () => {
    await refused('src/data/x.ts', "import * as fs from 'node:fs';\nexport const a = fs;\n", /nodeFiles\.ts/);
    await permitted('src/data/nodeFiles.ts', "import * as fs from 'node:fs';\nexport const a = fs;\n");
  });

  it('refuses vscode in src/worker and the engine in src/extension', async () => {
    await refused('src/worker/x.ts', "import * as vscode from 'vscode';\nexport const a = vscode;\n", /src\/worker/);
    await refused(
      'src/extension/x.ts',
      "import { analyze } from '../engine';\nexport const a = analyze;\n",
      /through the worker/,
    );
    await permitted(
      'src/extension/x.ts',
      "import * as vscode from 'vscode';\nimport { JobError } from '../worker/client';\nexport const a = [vscode, JobError];\n",
    );
  });

  it('keeps src/extension to the data and worker modules that compute nothing, and away from src/cli', async () => {
    await refused(
      'src/extension/x.ts',
      "import { loadAnalysis } from '../data/load';\nexport const a = loadAnalysis;\n",
      /src\/data modules that read nothing/,
    );
    await refused(
      'src/extension/x.ts',
      "import { loadAnalysis } from '../data';\nexport const a = loadAnalysis;\n",
      /src\/data modules that read nothing/,
    );
    await refused(
      'src/extension/x.ts',
      "import { runAnalyze } from '../worker/jobs';\nexport const a = runAnalyze;\n",
      /src\/worker\/client/,
    );
    await refused(
      'src/extension/x.ts',
      "import { main } from '../cli/main';\nexport const a = main;\n",
      /does not import src\/cli/,
    );
    await refused(
      'src/extension/commands/x.ts',
      "import { renderReportHtml } from '../../cli/report';\nexport const a = renderReportHtml;\n",
      /src\/report/,
    );
    await permitted(
      'src/extension/x.ts',
      "import { modelCandidates } from '../data/kinds';\nimport { renderReportHtml } from '../report/html';\nexport const a = [modelCandidates, renderReportHtml];\n",
    );
    await permitted(
      'src/extension/x.ts',
      "import type { LoadedAnalysis } from '../data/load';\nexport type A = LoadedAnalysis;\n",
    );
  });

  it('keeps src/report to src/protocol and Node, and the other layers out of it', async () => {
    await refused(
      'src/report/x.ts',
      "import { analyze } from '../engine';\nexport const a = analyze;\n",
      /src\/report renders/,
    );
    await refused(
      'src/report/x.ts',
      "import * as vscode from 'vscode';\nexport const a = vscode;\n",
      /src\/report renders/,
    );
    await permitted(
      'src/report/x.ts',
      "import { readFile } from 'node:fs/promises';\nimport { resultToJson } from '../protocol/json';\nexport const a = [readFile, resultToJson];\n",
    );
    await refused(
      'webview/x.ts',
      "import { renderReportHtml } from '../src/report/html';\nexport const a = renderReportHtml;\n",
      /webview\//,
    );
    await permitted(
      'src/cli/x.ts',
      "import { renderReportHtml } from '../report/html';\nexport const a = renderReportHtml;\n",
    );
  });

  it('lets src/protocol import only src/protocol', async () => {
    await refused(
      'src/protocol/x.ts',
      "import { analyze } from '../engine';\nexport const a = analyze;\n",
      /src\/protocol/,
    );
    await permitted(
      'src/protocol/x.ts',
      "import type { ResolvedModel } from './result';\nexport type A = ResolvedModel;\n",
    );
  });

  it('does not lint built bundles or dependencies', async () => {
    assert.equal(await eslint.isPathIgnored('dist/extension.js'), true);
    assert.equal(await eslint.isPathIgnored('node_modules/eslint/lib/api.js'), true);
    assert.equal(await eslint.isPathIgnored('src/engine/analyze.ts'), false);
  });
});
