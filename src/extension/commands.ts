// The Unroll commands (package.json contributes.commands): each resolves what it acts on, asks only what it must,
// and hands the work to the controller. Arguments let tests and other extensions skip the questions.
import { Buffer } from 'node:buffer';
import { basename, dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
// The readers and the engine stay in the worker: import the two data modules the host needs, not the ../data barrel.
import { InputError } from '../data/errors';
import { checkOutputs } from '../data/outputs';
import { nodeFiles, nodeWrites } from '../data/nodeFiles';
import { resultToJson } from '../protocol/json';
import { isPanelView, PANEL_VIEWS, type PanelView, type WebviewExport } from '../protocol/messages';
import type { CellKind } from '../protocol/result';
import { renderReportHtml } from '../report/html';
import type { Controller } from './controller';
import { locateFile } from './files';
import { readSettings } from './settings';
import { isModelFile, isSequenceFile, modelCandidates, modelDescribes, modelField, modelPathFor, modelTemplate } from './sources';

const ALL_CELLS: CellKind[] = ['rnn', 'lstm', 'gru'];

/** The panel's tab titles (webview/views/*.ts), for the Show View quick pick. */
const VIEW_TITLES: Record<PanelView, string> = {
  unrolled: 'Unrolled network',
  heatmap: 'Gradient heatmap',
  flow: 'Flow matrix',
  decay: 'Decay by distance',
  whh: 'Where ∂L/∂W_hh comes from',
  training: 'Training',
  compare: 'Compare cells',
};

async function readText(path: string): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(path))).toString('utf8');
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** The first workspace folder: relative paths given to a command (a walkthrough link) are relative to it. */
function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function activeFile(accept: (path: string) => boolean): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' && accept(uri.fsPath) ? uri.fsPath : undefined;
}

async function pickWorkspaceFile(glob: string, placeHolder: string): Promise<string | undefined> {
  const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**', 500);
  if (uris.length === 0) {
    void vscode.window.showInformationMessage(`Unroll: no ${glob} file in this workspace. "Unroll: Open Examples" has some.`);
    return undefined;
  }
  const items = uris.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), path: uri.fsPath })).sort((a, b) => a.label.localeCompare(b.label));
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.path;
}

/** The model file beside a data file whose `data` field names it (the default cell's first), if there is one. */
async function modelBeside(dataPath: string): Promise<string | undefined> {
  const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.file(dirname(dataPath)));
  for (const candidate of modelCandidates(dataPath, entries.map(([name]) => name), readSettings().engine.defaultCell)) {
    if (modelDescribes(candidate, await readText(candidate), dataPath)) return candidate;
  }
  return undefined;
}

/** A JSON file Export Report wrote earlier (one Result, or several compared): the only kind it replaces unasked. */
async function isReportJson(path: string): Promise<boolean> {
  try {
    const json: unknown = JSON.parse(await readText(path));
    const isResult = (x: unknown) => typeof x === 'object' && x !== null && 'model' in x && 'flow' in x;
    return isResult(json) || (typeof json === 'object' && json !== null && Array.isArray((json as { results?: unknown }).results) && (json as { results: unknown[] }).results.every(isResult));
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
  return (await vscode.window.showWarningMessage(`${message}. Export Report writes the numbers there: replace it?`, { modal: true }, replace)) === replace;
}

/** Offered, not imposed: the file is written only when the user says so. */
async function offerModelFile(dataPath: string): Promise<void> {
  const modelPath = modelPathFor(dataPath);
  const create = `Create ${basename(modelPath)}`;
  const answer = await vscode.window.showInformationMessage(
    `Unroll analyzed ${basename(dataPath)} with default settings. A model file lets you choose the cell, size, BPTT and optimizer.`,
    create,
  );
  if (answer !== create) return;
  const uri = vscode.Uri.file(modelPath);
  if (!(await exists(uri))) await nodeWrites.writeFile(modelPath, modelTemplate(dataPath, readSettings().engine.defaultCell));
  await vscode.window.showTextDocument(uri);
}

export function registerCommands(context: vscode.ExtensionContext, controller: Controller): void {
  const register = (id: string, run: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, run));

  // A Uri (menus), or a path absolute or relative to the workspace (the walkthrough's buttons).
  register('unroll.analyze', async (target?: vscode.Uri | string) => {
    const given = await locateFile(target, context.extensionUri);
    if (target !== undefined && target !== null && !given) return undefined;
    const path =
      given ??
      activeFile((p) => isModelFile(p) || isSequenceFile(p)) ??
      controller.currentSource?.path ??
      (await pickWorkspaceFile('**/*.{csv,tsv,txt,json,npy}', 'Sequence or model file to analyze'));
    if (!path) return undefined;
    if (isModelFile(path) || !isSequenceFile(path)) return controller.analyze(path);
    const model = await modelBeside(path);
    if (model) {
      controller.log.info(`using ${basename(model)} for ${basename(path)}`);
      return controller.analyze(model);
    }
    const result = await controller.analyze(path);
    if (result) void offerModelFile(path);
    return result;
  });

  register('unroll.train', async (uri?: vscode.Uri, options?: { save?: boolean; epochs?: number }) => {
    const current = controller.currentSource?.path;
    const modelPath =
      uri?.fsPath ??
      activeFile(isModelFile) ??
      (current && isModelFile(current) ? current : undefined) ??
      (await pickWorkspaceFile('**/*.unroll.json', 'Model file to train'));
    if (!modelPath) return undefined;
    const text = await readText(modelPath);
    const weights = modelField(text, 'weights');
    const saveTo = typeof weights === 'string' ? resolve(dirname(modelPath), weights) : undefined;
    let save = options?.save ?? false;
    if (saveTo && options?.save === undefined) {
      const keep = { label: 'Train without saving', save: false };
      const write = { label: `Train and save weights to ${vscode.workspace.asRelativePath(saveTo)}`, save: true };
      const choice = await vscode.window.showQuickPick([keep, write], { placeHolder: 'The model file names a weights file' });
      if (!choice) return undefined;
      save = choice.save;
    }
    const epochs = modelField(text, 'epochs');
    return controller.train(modelPath, { saveTo: save ? saveTo : undefined, epochs: options?.epochs }, typeof epochs === 'number' ? epochs : 0);
  });

  register('unroll.stop', () => controller.stop());

  // Compare Cells: asked interactively (no arguments), it offers the fast comparison at initialization first, then
  // one after the model file's epochs of training. `cells` and `options.epochs` skip the question.
  register('unroll.compare', async (cells?: CellKind[], options?: { epochs?: number }) => {
    if (!controller.currentSource) await vscode.commands.executeCommand('unroll.analyze');
    let epochs = options?.epochs;
    if (epochs === undefined && cells === undefined && controller.currentSource) {
      const modelEpochs = controller.currentResult?.model.epochs ?? 20;
      const now = { label: 'At initialization', description: 'fast: the weights each cell starts from', epochs: 0 };
      const trained = { label: `After ${modelEpochs} epochs`, description: "the model file's epochs: each cell trains first, then is analyzed", epochs: modelEpochs };
      const pick = await vscode.window.showQuickPick([now, trained], { placeHolder: 'Compare the cells' });
      if (!pick) return undefined;
      epochs = pick.epochs;
    }
    return controller.compare(cells ?? controller.currentResult?.model.compare ?? ALL_CELLS, { epochs });
  });

  // Model files side by side (e.g. the walkthrough's exploding vs exploding-clipped), each trained for `epochs`
  // (default: the first file's `epochs`; 0 compares them at initialization), shown in the panel's Compare tab.
  // Arguments: `(uris, epochs?)`; a command link may also spell them flat, `["a.unroll.json", "b.unroll.json", 20]`.
  register('unroll.compareModels', async (...args: unknown[]) => {
    const flat = args.flat();
    const uris = flat.filter((a): a is string | vscode.Uri => typeof a === 'string' || a instanceof vscode.Uri);
    const epochs = flat.find((a): a is number => typeof a === 'number');
    // A relative name (a walkthrough link) is looked up in the workspace folder, then among the bundled examples.
    const bundled = vscode.Uri.joinPath(context.extensionUri, 'examples').fsPath;
    const located = async (u: string | vscode.Uri): Promise<string> => {
      if (typeof u !== 'string') return u.fsPath;
      if (u.startsWith('file:')) return vscode.Uri.parse(u).fsPath;
      const folder = workspaceFolder();
      const inWorkspace = resolve(folder ?? bundled, u);
      return folder && !(await exists(vscode.Uri.file(inWorkspace))) && (await exists(vscode.Uri.file(resolve(bundled, u)))) ? resolve(bundled, u) : inWorkspace;
    };
    const paths: string[] = [];
    for (const u of uris) paths.push(await located(u));
    if (paths.length === 0) {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: true, filters: { 'Unroll model files': ['json'] }, openLabel: 'Compare these model files' });
      if (!picked?.length) return undefined;
      paths.push(...picked.map((u) => u.fsPath));
    }
    const notModels = paths.filter((p) => !isModelFile(p));
    if (notModels.length) {
      void vscode.window.showErrorMessage(`Unroll: Compare Models takes model files (*.unroll.json); ${notModels.map((p) => basename(p)).join(', ')} is not one.`);
      return undefined;
    }
    let trainFor = epochs;
    if (trainFor === undefined) {
      const field = modelField(await readText(paths[0]), 'epochs');
      trainFor = typeof field === 'number' ? field : 20;
    }
    // The walkthrough marks a step done by the model files compared (two steps use this command).
    void vscode.commands.executeCommand('setContext', 'unroll.comparedModels', paths.map((p) => basename(p)).join(' '));
    return controller.compare([], { models: paths, epochs: trainFor });
  });

  register('unroll.exportReport', async (target?: vscode.Uri) => {
    const results = controller.currentComparison ?? (controller.currentResult ? [controller.currentResult] : []);
    const source = controller.currentSource;
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
      for (const r of results) await checkOutputs([{ path: uri.fsPath, what: 'report' }, { path: jsonUri.fsPath, what: 'JSON' }], r.meta, nodeFiles, nodeWrites);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      void vscode.window.showErrorMessage(`Unroll: the report was not exported. ${e.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}`);
      return undefined;
    }
    const html = await renderReportHtml(results, title, vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath);
    await nodeWrites.writeFile(uri.fsPath, html);
    await nodeWrites.writeFile(jsonUri.fsPath, JSON.stringify(json));
    controller.log.info(`report written to ${uri.fsPath} and ${jsonUri.fsPath}`);
    return uri;
  });

  register('unroll.openExamples', async (target?: vscode.Uri) => {
    const folder =
      target ??
      (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Copy the Unroll examples here' }))?.[0];
    if (!folder) return undefined;
    const examples = vscode.Uri.joinPath(context.extensionUri, 'examples');
    const skipped: string[] = [];
    for (const [name, type] of await vscode.workspace.fs.readDirectory(examples)) {
      if (type !== vscode.FileType.File) continue;
      const to = vscode.Uri.joinPath(folder, name);
      if (await exists(to)) skipped.push(name);
      else await vscode.workspace.fs.copy(vscode.Uri.joinPath(examples, name), to);
    }
    if (skipped.length) void vscode.window.showWarningMessage(`Unroll: kept your existing ${skipped.join(', ')}.`);
    if (!target) {
      const open = await vscode.window.showInformationMessage(`Unroll examples copied to ${folder.fsPath}.`, 'Open Folder');
      if (open) await vscode.commands.executeCommand('vscode.openFolder', folder);
    }
    return folder;
  });

  // The panel with one view selected, e.g. the walkthrough's "∂L/∂W_hh by distance" step. With a file (Uri or
  // path, as for unroll.analyze), that file is analyzed first unless the panel already shows its analysis.
  register('unroll.showView', async (view?: unknown, file?: vscode.Uri | string) => {
    if (view === undefined) {
      const items = PANEL_VIEWS.map((id) => ({ label: VIEW_TITLES[id], id }));
      view = (await vscode.window.showQuickPick(items, { placeHolder: 'View of the Unroll panel to show' }))?.id;
      if (view === undefined) return undefined;
    }
    if (!isPanelView(view)) {
      void vscode.window.showErrorMessage(`Unroll: ${JSON.stringify(view) ?? 'nothing'} is not a view of the panel; the views are ${PANEL_VIEWS.join(', ')}.`);
      return undefined;
    }
    if (file !== undefined && file !== null) {
      const path = await locateFile(file, context.extensionUri);
      if (!path) return undefined;
      if (controller.currentSource?.path !== path || !controller.currentResult || controller.currentComparison)
        await vscode.commands.executeCommand('unroll.analyze', vscode.Uri.file(path));
    } else if (!controller.currentResult && !controller.currentComparison) {
      void vscode.window.showInformationMessage('Unroll: the panel shows nothing yet; analyze a file first (Unroll: Analyze Sequence File).');
    }
    controller.showView(view);
    // The walkthrough marks a step done by the view it showed (several steps use this command).
    void vscode.commands.executeCommand('setContext', 'unroll.shownView', view);
    return view;
  });

  // Internal: the status-bar item, and exports the panel rendered.
  register('unroll.showPanel', () => controller.showPanel());
  register('unroll.saveExport', async (message: WebviewExport) => {
    const name = `${message.view}.${message.format}`;
    const base = controller.currentSource ? dirname(controller.currentSource.path) : undefined;
    const uri = await vscode.window.showSaveDialog({
      defaultUri: base ? vscode.Uri.file(resolve(base, name)) : undefined,
      filters: { [message.format.toUpperCase()]: [message.format] },
    });
    if (!uri) return;
    const bytes = message.format === 'png' ? Buffer.from(message.data, 'base64') : Buffer.from(message.data, 'utf8');
    await nodeWrites.writeFile(uri.fsPath, bytes);
  });
}
