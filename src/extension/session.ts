// What is on screen: the source (the file the panel analyzes, remembered across reloads), its Result or comparison,
// and the problems of the last failed run. Showing one of these updates every place that shows it: the panel, its
// title, the status bar, the Problems panel, and the set of watched files (a file that was read, or that has a
// problem, refreshes the picture when saved).
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { ToWebviewType, type AnalyzeSource, type Problem } from '../protocol/messages';
import type { AnalysisResult } from '../protocol/result';
import { isTraceFolder } from '../data/kinds';
import { snapshotRequest, TRACE_INDEX_FILE } from '../protocol/trace';
import { CancelledError, JobError, WorkerFailedError } from '../worker/client';
import type { Diagnostics } from './diagnostics';
import { Disposable } from './dispose';
import type { PanelHost } from './panelHost';
import { workspaceRootFor } from './sources';
import type { StatusBar } from './statusBar';
import type { Watching } from './watching';

const SOURCE_STATE_KEY = 'unroll.source';

export interface RenderedMark {
  generation: number;
  /** Draw time the webview measured. */
  ms: number;
  /** performance.now() in the extension host when the panel said it had drawn. */
  at: number;
  /** The view on screen, and for a trace replay the state its replay line shows (what the panel reported). */
  view?: string;
  replay?: 'ok' | 'mismatch' | 'approximate';
}

export class Session extends Disposable {
  private current: AnalyzeSource | undefined;
  private shownResult: AnalysisResult | undefined;
  private shownComparison: AnalysisResult[] | undefined;
  private shownProblems: readonly Problem[] = [];
  private shownGeneration = 0;
  /** The panel's last "drawn" message (panelMessages.ts). */
  rendered: RenderedMark | undefined;

  constructor(
    private readonly workspaceState: vscode.Memento,
    private readonly panel: PanelHost,
    private readonly watching: Watching,
    private readonly diagnostics: Diagnostics,
    private readonly status: StatusBar,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    // A (re)loaded webview starts empty: give it what we have.
    this.own(
      panel.onDidLoad(() => {
        if (this.shownComparison)
          this.panel.post({
            type: ToWebviewType.Compare,
            generation: this.shownGeneration,
            results: this.shownComparison,
          });
        else if (this.shownResult)
          this.panel.post({ type: ToWebviewType.Result, generation: this.shownGeneration, result: this.shownResult });
        if (this.shownProblems.length)
          this.panel.post({ type: ToWebviewType.Stale, problems: [...this.shownProblems] });
      }),
    );
  }

  get source(): AnalyzeSource | undefined {
    return this.current;
  }

  get result(): AnalysisResult | undefined {
    return this.shownResult;
  }

  get comparison(): AnalysisResult[] | undefined {
    return this.shownComparison;
  }

  /** Problems of the last failed run (empty after a good one). */
  get problems(): readonly Problem[] {
    return this.shownProblems;
  }

  /** Generation of the last Result or comparison sent to the panel. */
  get generation(): number {
    return this.shownGeneration;
  }

  sourceFor(path: string): AnalyzeSource {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    return { path, workspaceRoot: workspaceRootFor(path, folders) };
  }

  /**
   * Analyze `path` from now on (another file forgets what was shown for the old one, and what it watched). A trace
   * folder (`*.unroll-trace`) replays `traceStep` (default: the latest snapshot), and its index is watched: a
   * snapshot appended while PyTorch trains refreshes the panel.
   */
  setSource(path: string, traceStep?: number | 'latest'): AnalyzeSource {
    const source = this.sourceFor(path);
    if (this.current?.path !== source.path) {
      this.shownResult = undefined;
      this.shownComparison = undefined;
      this.watching.unwatchAll();
    }
    const trace = isTraceFolder(source.path);
    if (trace) source.traceStep = traceStep ?? 'latest';
    this.current = source;
    this.watching.watch(trace ? [source.path, join(source.path, TRACE_INDEX_FILE)] : [source.path]);
    void this.workspaceState.update(SOURCE_STATE_KEY, source.path);
    return source;
  }

  /**
   * The timeline picked the snapshot at `step` of the trace on screen: replay that one from now on (the last one is
   * 'latest', so later snapshots are followed). False when nothing changed (no trace on screen, or already asked).
   */
  selectSnapshot(step: number): boolean {
    const source = this.current;
    if (!source || !isTraceFolder(source.path)) return false;
    const wanted = snapshotRequest(this.shownResult?.trace, step);
    if (source.traceStep === wanted) return false;
    this.current = { ...source, traceStep: wanted };
    return true;
  }

  /**
   * The layer control picked `layer` (from 0) and a direction of the trace on screen: show those from now on, for
   * this snapshot and the next ones. False when nothing changed.
   */
  selectTraceLayer(layer: number, reverse: boolean): boolean {
    const source = this.current;
    if (!source || !isTraceFolder(source.path)) return false;
    if ((source.traceLayer ?? -1) === layer && (source.traceReverse ?? false) === reverse) return false;
    this.current = { ...source, traceLayer: layer, traceReverse: reverse };
    return true;
  }

  /** After a window reload: the file the restored panel showed (its webview state, else the workspace's memory). */
  restoredPath(webviewState: unknown): string | undefined {
    const fromState = (webviewState as { sourcePath?: unknown } | undefined)?.sourcePath;
    return typeof fromState === 'string' ? fromState : this.workspaceState.get<string>(SOURCE_STATE_KEY);
  }

  /** The files a run read: a save of any of them refreshes the picture. */
  watch(files: readonly string[]): void {
    this.watching.watch(files);
  }

  showResult(result: AnalysisResult): void {
    // A trace's folder as the workspace names it (the worker gives the path it read).
    if (result.trace) result.trace = { ...result.trace, folder: vscode.workspace.asRelativePath(result.trace.folder) };
    this.shownResult = result;
    this.shownGeneration++;
    this.panel.post({ type: ToWebviewType.Result, generation: this.shownGeneration, result });
    this.panel.setTitle(
      `Unroll: ${result.model.cell.toUpperCase()} · ${vscode.workspace.asRelativePath(this.current?.path ?? result.meta.dataFile)}${result.trace ? ` · step ${result.trace.shown}` : ''}`,
    );
    this.status.showHealth(result);
  }

  showComparison(results: AnalysisResult[]): void {
    this.shownComparison = results;
    this.shownGeneration++;
    this.panel.post({ type: ToWebviewType.Compare, generation: this.shownGeneration, results });
    this.clearProblems();
  }

  /** An analysis (not a comparison) is on screen from now on. */
  forgetComparison(): void {
    this.shownComparison = undefined;
  }

  /** A good run: no problems, the run's warnings (if any) in the Problems panel. */
  showWarnings(warnings: readonly Problem[]): void {
    this.clearProblems();
    this.diagnostics.set(warnings, this.current?.workspaceRoot ?? '');
  }

  clearProblems(): void {
    this.shownProblems = [];
    this.diagnostics.clear();
  }

  /**
   * A run failed: problems in the user's files go to the Problems panel (and those files are watched, so fixing
   * them refreshes); anything else is logged and shown as an error. The picture on screen stays, marked stale.
   */
  failed(error: unknown): void {
    if (error instanceof CancelledError) return;
    if (error instanceof JobError && !error.internal) {
      this.shownProblems = error.problems;
      this.diagnostics.set(error.problems, this.current?.workspaceRoot ?? '');
      this.watching.watch(error.problems.map((p) => resolve(this.current?.workspaceRoot ?? '', p.file)));
      this.panel.post({ type: ToWebviewType.Stale, problems: error.problems });
      this.status.showProblems(error.problems.length);
      this.log.warn(error.message);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.log.error(message);
    // Kept like a file's problems, so a reloaded panel shows it too and the next good run clears it.
    this.shownProblems = [
      { file: this.current?.path ?? '', line: 1, column: 1, message, severity: 'error', hint: 'see the Unroll log' },
    ];
    this.panel.post({ type: ToWebviewType.Stale, problems: [...this.shownProblems] });
    // A worker's failure already names Unroll ("Unroll's worker ran out of memory …").
    void vscode.window.showErrorMessage(error instanceof WorkerFailedError ? message : `Unroll: ${message}`);
  }
}
