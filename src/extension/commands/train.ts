// Train Model: the given model file (a Uri), else the active editor's, else the one on screen, else a pick. When the
// model file names a weights file, the user chooses whether the trained weights are saved there.
import { dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { TrainDoneMessage } from '../../protocol/messages';
import { isModelFile, MODEL_SUFFIX } from '../../data/kinds';
import { modelField } from '../sources';
import { activeFile, pickWorkspaceFile, readText } from '../workspace';
import type { Unroll } from '.';

export const id = 'unroll.train';

/** `options.save` answers the save question; `options.epochs` replaces the model file's epochs. */
export async function run(
  unroll: Unroll,
  uri?: vscode.Uri,
  options?: { save?: boolean; epochs?: number },
): Promise<TrainDoneMessage | undefined> {
  const current = unroll.session.source?.path;
  const modelPath =
    uri?.fsPath ??
    activeFile(isModelFile) ??
    (current && isModelFile(current) ? current : undefined) ??
    (await pickWorkspaceFile(`**/*${MODEL_SUFFIX}`, 'Model file to train'));
  if (!modelPath) return undefined;
  const text = await readText(modelPath);
  const weights = modelField(text, 'weights');
  const saveTo = typeof weights === 'string' ? resolve(dirname(modelPath), weights) : undefined;
  let save = options?.save ?? false;
  if (saveTo && options?.save === undefined) {
    const keep = { label: 'Train without saving', save: false };
    const write = { label: `Train and save weights to ${vscode.workspace.asRelativePath(saveTo)}`, save: true };
    const choice = await vscode.window.showQuickPick([keep, write], {
      placeHolder: 'The model file names a weights file',
    });
    if (!choice) return undefined;
    save = choice.save;
  }
  const epochs = modelField(text, 'epochs');
  return unroll.training.train(
    modelPath,
    { saveTo: save ? saveTo : undefined, epochs: options?.epochs },
    typeof epochs === 'number' ? epochs : 0,
  );
}
