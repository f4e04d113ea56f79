// Export Report: what the panel shows (a Result, or a comparison) as a standalone HTML report, with the numbers
// beside it as JSON. Never written onto the files analyzed, and never over a JSON file that is not an earlier export
// unless the user says so.
import { basename, dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
// The readers and the engine stay in the worker: import the two data modules the host needs, not the ../data barrel.
import { InputError } from '../../data/errors';
import { checkOutputs } from '../../data/outputs';
import { nodeFiles, nodeWrites } from '../../data/nodeFiles';
import { resultToJson } from '../../protocol/json';
import { renderReportHtml } from '../../report/html';
import { exists, readText } from '../workspace';
import type { Unroll } from '.';

export const id = 'unroll.exportReport';

/** `target`: where the HTML goes (no dialog; an existing JSON beside it that is not a report stops the export). */
export async function run(unroll: Unroll, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const { session } = unroll;
  const results = session.comparison ?? (session.result ? [session.result] : []);
  const source = session.source;
  if (results.length === 0 || !source) {
    void vscode.window.showInformationMessage('Unroll: analyze a file first; the report shows what the panel shows.');
    return undefined;
  }
  const stem = basename(source.path).replace(/(\.unroll)?\.[^.]+$/, '');
  const uri =
    target ??
    (await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(resolve(dirname(source.path), `${stem}.report.html`)),
      filters: { 'HTML report': ['html'] },
      title: 'Export Report (the numbers are saved beside it as JSON)',
    }));
  if (!uri) return undefined;
  const title = `Unroll report: ${basename(source.path)}`;
  const json = results.length === 1 ? resultToJson(results[0]) : { results: results.map(resultToJson) };
  const jsonUri = uri.with({ path: uri.path.replace(/\.html?$/i, '') + '.json' });
  try {
    // A target given by a caller may name a new folder (the dialog only offers existing ones).
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(dirname(uri.fsPath)));
  } catch {
    // A file in the way is reported by the check below, with the path.
  }
  if (!(await mayWriteBeside(jsonUri.fsPath, target === undefined))) return undefined;
  try {
    // Never onto the data, model or weights shown, and only where writing can succeed.
    // A comparison of model files reads each run's own files: none of them may be written over either.
    for (const r of results)
      await checkOutputs(
        [
          { path: uri.fsPath, what: 'report' },
          { path: jsonUri.fsPath, what: 'JSON' },
        ],
        r.meta,
        nodeFiles,
        nodeWrites,
      );
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    void vscode.window.showErrorMessage(
      `Unroll: the report was not exported. ${e.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`,
    );
    return undefined;
  }
  const html = await renderReportHtml(results, title, vscode.Uri.joinPath(unroll.extensionUri, 'dist').fsPath);
  await nodeWrites.writeFile(uri.fsPath, html);
  await nodeWrites.writeFile(jsonUri.fsPath, JSON.stringify(json));
  unroll.log.info(`report written to ${uri.fsPath} and ${jsonUri.fsPath}`);
  return uri;
}

/** A JSON file Export Report wrote earlier (one Result, or several compared): the only kind it replaces unasked. */
async function isReportJson(path: string): Promise<boolean> {
  try {
    const json: unknown = JSON.parse(await readText(path));
    const isResult = (x: unknown) => typeof x === 'object' && x !== null && 'model' in x && 'flow' in x;
    return (
      isResult(json) ||
      (typeof json === 'object' &&
        json !== null &&
        Array.isArray((json as { results?: unknown }).results) &&
        (json as { results: unknown[] }).results.every(isResult))
    );
  } catch {
    return false;
  }
}

/**
 * The numbers go beside the report as JSON. That file was not chosen in the dialog, so an existing one is
 * replaced only when it is an earlier export, or when the user says so; given a target (tests, other
 * extensions) nobody can be asked, and the export stops instead.
 */
async function mayWriteBeside(jsonPath: string, ask: boolean): Promise<boolean> {
  if (!(await exists(vscode.Uri.file(jsonPath))) || (await isReportJson(jsonPath))) return true;
  const message = `${basename(jsonPath)} exists and is not an Unroll report`;
  if (!ask) {
    void vscode.window.showErrorMessage(`Unroll: ${message}; the report was not exported. Choose another name.`);
    return false;
  }
  const replace = 'Replace';
  return (
    (await vscode.window.showWarningMessage(
      `${message}. Export Report writes the numbers there: replace it?`,
      { modal: true },
      replace,
    )) === replace
  );
}
