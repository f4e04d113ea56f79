// Compare Model Files: model files side by side (e.g. the walkthrough's exploding vs exploding-clipped), each trained
// for `epochs` (default: the first file's `epochs`; 0 compares them at initialization), in the panel's Compare tab.
// Arguments: `(uris, epochs?)`; a command link may also spell them flat, `["a.unroll.json", "b.unroll.json", 20]`.
import { basename, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../protocol/result';
import { isModelFile, MODEL_SUFFIX } from '../../data/kinds';
import { modelField } from '../sources';
import { exists, readText, workspaceFolder } from '../workspace';
import type { Unroll } from '.';

export const id = 'unroll.compareModels';

export async function run(unroll: Unroll, ...args: unknown[]): Promise<AnalysisResult[] | undefined> {
  const flat = args.flat();
  const uris = flat.filter((a): a is string | vscode.Uri => typeof a === 'string' || a instanceof vscode.Uri);
  const epochs = flat.find((a): a is number => typeof a === 'number');
  // A relative name (a walkthrough link) is looked up in the workspace folder, then among the bundled examples.
  const bundled = vscode.Uri.joinPath(unroll.extensionUri, 'examples').fsPath;
  const located = async (u: string | vscode.Uri): Promise<string> => {
    if (typeof u !== 'string') return u.fsPath;
    if (u.startsWith('file:')) return vscode.Uri.parse(u).fsPath;
    const folder = workspaceFolder();
    const inWorkspace = resolve(folder ?? bundled, u);
    return folder &&
      !(await exists(vscode.Uri.file(inWorkspace))) &&
      (await exists(vscode.Uri.file(resolve(bundled, u))))
      ? resolve(bundled, u)
      : inWorkspace;
  };
  const paths: string[] = [];
  for (const u of uris) paths.push(await located(u));
  if (paths.length === 0) {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: true,
      filters: { 'Unroll model files': ['json'] },
      openLabel: 'Compare these model files',
    });
    if (!picked?.length) return undefined;
    paths.push(...picked.map((u) => u.fsPath));
  }
  const notModels = paths.filter((p) => !isModelFile(p));
  if (notModels.length) {
    void vscode.window.showErrorMessage(
      `Unroll: Compare Models takes model files (*${MODEL_SUFFIX}); ${notModels.map((p) => basename(p)).join(', ')} is not one.`,
    );
    return undefined;
  }
  let trainFor = epochs;
  if (trainFor === undefined) {
    const field = modelField(await readText(paths[0]), 'epochs');
    trainFor = typeof field === 'number' ? field : 20;
  }
  // The walkthrough marks a step done by the model files compared (two steps use this command).
  void vscode.commands.executeCommand('setContext', 'unroll.comparedModels', paths.map((p) => basename(p)).join(' '));
  return unroll.analysis.compare([], { models: paths, epochs: trainFor });
}
