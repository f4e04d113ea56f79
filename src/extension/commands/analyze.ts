// Analyze Sequence File: explorer/editor menus (a Uri), the walkthrough's buttons (a path absolute or relative to the
// workspace), or the palette (the active editor's file, the file on screen, else a pick). A bare data file is
// analyzed with the model file beside it that names it, else with defaults, and a model file is offered.
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../protocol/result';
import {
  isModelFile,
  isSequenceFile,
  modelCandidates,
  modelDescribes,
  modelPathFor,
  SEQUENCE_EXTENSIONS,
} from '../../data/kinds';
import { nodeWrites } from '../../data/nodeFiles';
import { locateFile } from '../files';
import { readSettings } from '../settings';
import { modelTemplate } from '../sources';
import { activeFile, exists, pickWorkspaceFile, readText } from '../workspace';
import type { Unroll } from '.';

export const id = 'unroll.analyze';

/** What the palette offers when nothing else says which file: every sequence file, model files (`.json`) included. */
const ANALYZABLE = `**/*.{${SEQUENCE_EXTENSIONS.map((ext) => ext.slice(1)).join(',')}}`;

export async function run(unroll: Unroll, target?: vscode.Uri | string): Promise<AnalysisResult | undefined> {
  const given = await locateFile(target, unroll.extensionUri);
  if (target !== undefined && target !== null && !given) return undefined;
  const path =
    given ??
    activeFile((p) => isModelFile(p) || isSequenceFile(p)) ??
    unroll.session.source?.path ??
    (await pickWorkspaceFile(ANALYZABLE, 'Sequence or model file to analyze'));
  if (!path) return undefined;
  if (isModelFile(path) || !isSequenceFile(path)) return unroll.analysis.analyze(path);
  const model = await modelBeside(path);
  if (model) {
    unroll.log.info(`using ${basename(model)} for ${basename(path)}`);
    return unroll.analysis.analyze(model);
  }
  const result = await unroll.analysis.analyze(path);
  if (result) void offerModelFile(path);
  return result;
}

/** The model file beside a data file whose `data` field names it (the default cell's first), if there is one. */
async function modelBeside(dataPath: string): Promise<string | undefined> {
  const entries = await vscode.workspace.fs.readDirectory(vscode.Uri.file(dirname(dataPath)));
  for (const candidate of modelCandidates(
    dataPath,
    entries.map(([name]) => name),
    readSettings().engine.defaultCell,
  )) {
    if (modelDescribes(candidate, await readText(candidate), dataPath)) return candidate;
  }
  return undefined;
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
  if (!(await exists(uri)))
    await nodeWrites.writeFile(modelPath, modelTemplate(dataPath, readSettings().engine.defaultCell));
  await vscode.window.showTextDocument(uri);
}
