// Compare Cells: the current source analyzed once per cell, side by side in the panel's Compare tab. Asked
// interactively (no arguments), it offers the fast comparison at initialization first, then one after the model
// file's epochs of training. `cells` and `options.epochs` skip the question.
import * as vscode from 'vscode';
import { CELL_KINDS, type CellKind } from '../../protocol/kinds';
import type { AnalysisResult } from '../../protocol/result';
import { id as ANALYZE } from './analyze';
import type { Unroll } from '.';

export const id = 'unroll.compare';

export async function run(
  unroll: Unroll,
  cells?: CellKind[],
  options?: { epochs?: number },
): Promise<AnalysisResult[] | undefined> {
  const { session } = unroll;
  if (!session.source) await vscode.commands.executeCommand(ANALYZE);
  let epochs = options?.epochs;
  if (epochs === undefined && cells === undefined && session.source) {
    const modelEpochs = session.result?.model.epochs ?? 20;
    const now = { label: 'At initialization', description: 'fast: the weights each cell starts from', epochs: 0 };
    const trained = {
      label: `After ${modelEpochs} epochs`,
      description: "the model file's epochs: each cell trains first, then is analyzed",
      epochs: modelEpochs,
    };
    const pick = await vscode.window.showQuickPick([now, trained], { placeHolder: 'Compare the cells' });
    if (!pick) return undefined;
    epochs = pick.epochs;
  }
  return unroll.analysis.compare(cells ?? session.result?.model.compare ?? [...CELL_KINDS], { epochs });
}
