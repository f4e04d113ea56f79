// What the test suites read through activate()'s return value (see test/vscode/README.md). It computes nothing.
import type { Problem } from '../protocol/messages';
import type { AnalysisResult } from '../protocol/result';
import type { PanelHost } from './panelHost';
import type { RenderedMark, Session } from './session';
import type { Workers } from './workers';

export type { RenderedMark };

export interface UnrollTestApi {
  lastResult(): AnalysisResult | undefined;
  lastCompare(): AnalysisResult[] | undefined;
  /** Problems of the last failed run (empty after a good one). */
  lastProblems(): readonly Problem[];
  /** Generation of the last Result or comparison sent to the panel. */
  resultGeneration(): number;
  lastRendered(): RenderedMark | undefined;
  /** Worker threads alive in the extension host (the view's, and a training's while it runs). */
  workerCount(): number;
  /** Ends the view's worker thread as a crash would; false when none was running. */
  killWorker(): boolean;
  panelOpen(): boolean;
  training(): boolean;
}

export function testApi(session: Session, panel: PanelHost, workers: Workers): UnrollTestApi {
  return {
    lastResult: () => session.result,
    lastCompare: () => session.comparison,
    lastProblems: () => session.problems,
    resultGeneration: () => session.generation,
    lastRendered: () => session.rendered,
    workerCount: () => workers.threadCount,
    killWorker: () => workers.killViewWorker(),
    panelOpen: () => panel.open,
    training: () => workers.training,
  };
}
