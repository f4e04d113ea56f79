// Analyze PyTorch Trace: the explorer menu of a `*.unroll-trace` folder (a Uri), a path (absolute or relative to the
// workspace), or the palette (the trace on screen, else a pick among the workspace's traces). Replays a snapshot
// (`step`, default the latest) in the worker; the panel opens on the Timeline, and snapshots appended while PyTorch
// trains refresh it (session.ts watches the trace's index). `unroll.analyze` takes a trace folder the same way.
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../protocol/result';
import { isTraceFolder } from '../../data/kinds';
import { TRACE_INDEX_FILE } from '../../protocol/trace';
import { locateFile } from '../files';
import { pickWorkspaceFile } from '../workspace';
import type { Unroll } from '.';

export const id = 'unroll.analyzeTrace';

export async function run(
  unroll: Unroll,
  target?: vscode.Uri | string,
  step?: number | 'latest',
): Promise<AnalysisResult | undefined> {
  const given = await locateFile(target, unroll.extensionUri);
  if (target !== undefined && target !== null && !given) return undefined;
  const onScreen = unroll.session.source?.path;
  const index =
    given ??
    (onScreen && isTraceFolder(onScreen)
      ? onScreen
      : await pickWorkspaceFile(`**/*.unroll-trace/${TRACE_INDEX_FILE}`, 'PyTorch trace to replay'));
  if (!index) return undefined;
  const folder = isTraceFolder(index) ? index : dirname(index);
  if (!isTraceFolder(folder)) {
    void vscode.window.showErrorMessage(
      `Unroll: ${vscode.workspace.asRelativePath(folder)} is not a trace: a trace is a folder whose name ends in .unroll-trace (python/unroll_trace writes one).`,
    );
    return undefined;
  }
  return unroll.analysis.analyze(
    folder,
    typeof step === 'number' && Number.isInteger(step) && step >= 0 ? step : 'latest',
  );
}
