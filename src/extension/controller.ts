// One analysis on screen at a time: its source file, the worker that computes it, the files whose saves
// refresh it, the diagnostics and the status-bar line it produces, and the panel that shows it.
import { performance } from 'node:perf_hooks';
import { basename, dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import {
  FromWebviewType,
  ToWebviewType,
  type AnalyzeSource,
  type FromWebview,
  type PanelView,
  type Problem,
  type TrainDoneMessage,
  type WebviewTrainStart,
} from '../protocol/messages';
import type { AnalysisResult, CellKind, TrainPoint } from '../protocol/result';
import { describeNonFinite, healthLine, healthTooltip } from '../protocol/summary';
import { CancelledError, JobError, WorkerClient, WorkerFailedError } from '../worker/client';
import { liveThreadWorkers, startThreadWorker } from '../worker/transport';
import { Disposable } from './dispose';
import { LatestEvery } from './throttle';
import { UnrollPanel } from './panel';
import { problemRange, problemsByFile, problemText } from './problems';
import { readSettings } from './settings';
import { workspaceRootFor } from './sources';

const SOURCE_STATE_KEY = 'unroll.source';
/** A fast training reports thousands of epochs a second; the panel and the notification need a few a second. */
const PROGRESS_INTERVAL_MS = 50;
/** What a run that a newer one cancelled answers internally. */
const SUPERSEDED = Symbol('superseded');
/** A file watcher reports an editor save some milliseconds after onDidSaveTextDocument did. */
const SAVE_ECHO_MS = 1000;

export interface RenderedMark {
  generation: number;
  /** Draw time the webview measured. */
  ms: number;
  /** performance.now() in the extension host when the panel said it had drawn. */
  at: number;
}

/** What the test suites read through activate()'s return value (see test/vscode/README.md). */
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

export class Controller extends Disposable {
  private panel: UnrollPanel | undefined;
  /** The webview said Ready: messages posted now are received (before, a view to select waits in pendingView). */
  private panelReady = false;
  private pendingView: PanelView | undefined;
  private client: WorkerClient | undefined;
  private source: AnalyzeSource | undefined;
  private result: AnalysisResult | undefined;
  private comparison: AnalysisResult[] | undefined;
  private problems: readonly Problem[] = [];
  private generation = 0;
  private rendered: RenderedMark | undefined;
  /** The running training as the panel shows it, for a webview that (re)loads mid-run (it was hidden, or new). */
  private trainingShown: { start: WebviewTrainStart; points: { point: TrainPoint; run?: number }[] } | undefined;
  /** Files the current analysis read; a save or change of any re-runs it. */
  private watched = new Map<string, vscode.Disposable>();
  private latestRun: Promise<AnalysisResult | undefined> | undefined;
  private refresher: { intervalMs: number; throttle: LatestEvery<void> } | undefined;
  /** When each file was last saved in the editor: the watcher's event for the same save is not a second change. */
  private readonly savedAt = new Map<string, number>();
  private readonly diagnostics = this.own(vscode.languages.createDiagnosticCollection('unroll'));
  private readonly status = this.own(vscode.window.createStatusBarItem('unroll.health', vscode.StatusBarAlignment.Left, 50));

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.status.name = 'Unroll gradient health';
    this.status.command = 'unroll.showPanel';
    this.own(
      vscode.workspace.onDidSaveTextDocument((doc) => {
        this.savedAt.set(doc.uri.fsPath, performance.now());
        this.fileChanged(doc.uri);
      }),
    );
    this.own({ dispose: () => this.unwatchAll() });
    this.own({ dispose: () => this.closeSession() });
  }

  readonly testApi: UnrollTestApi = {
    lastResult: () => this.result,
    lastCompare: () => this.comparison,
    lastProblems: () => this.problems,
    resultGeneration: () => this.generation,
    lastRendered: () => this.rendered,
    workerCount: () => liveThreadWorkers(),
    killWorker: () => this.client?.killViewWorker() ?? false,
    panelOpen: () => this.panel !== undefined,
    training: () => this.client?.training ?? false,
  };

  get currentSource(): AnalyzeSource | undefined {
    return this.source;
  }

  get currentResult(): AnalysisResult | undefined {
    return this.result;
  }

  get currentComparison(): AnalysisResult[] | undefined {
    return this.comparison;
  }

  sourceFor(path: string): AnalyzeSource {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    return { path, workspaceRoot: workspaceRootFor(path, folders) };
  }

  /** Show the panel for `path` and analyze it; resolves when the Result (or the problems) arrived. */
  async analyze(path: string): Promise<AnalysisResult | undefined> {
    this.setSource(this.sourceFor(path));
    this.showPanel();
    return this.run();
  }

  showPanel(): void {
    if (this.panel) return this.panel.reveal();
    this.attach(UnrollPanel.create(this.context.extensionUri, this.log));
  }

  /** Show the panel with `view` selected (a new panel selects it once its webview has loaded). */
  showView(view: PanelView): void {
    this.showPanel();
    if (this.panelReady) this.panel?.post({ type: ToWebviewType.ShowView, view });
    else this.pendingView = view;
  }

  /** After a window reload: the panel VS Code kept, and the file it showed. */
  async restore(webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.attach(UnrollPanel.revive(webviewPanel, this.context.extensionUri, this.log));
    const fromState = (state as { sourcePath?: unknown } | undefined)?.sourcePath;
    const path = typeof fromState === 'string' ? fromState : this.context.workspaceState.get<string>(SOURCE_STATE_KEY);
    if (!path) return;
    this.setSource(this.sourceFor(path));
    await this.run();
  }

  /**
   * Runs side by side in the panel's Compare tab: one per cell on the current source, or one per model file
   * (`models`, absolute paths; the first becomes the panel's source). With `epochs` every run trains first: the
   * notification follows the runs and can stop them, the Training tab follows every run's epochs.
   */
  async compare(cells: CellKind[], options: { epochs?: number; models?: string[] } = {}): Promise<AnalysisResult[] | undefined> {
    const models = options.models?.length ? options.models : undefined;
    if (models) this.setSource(this.sourceFor(models[0]));
    const source = this.source;
    if (!source) return undefined;
    this.showPanel();
    const names = models ? models.map((m) => basename(m)) : cells;
    const epochs = options.epochs ?? 0;
    this.panel?.post({ type: ToWebviewType.Busy, busy: true, what: `comparing ${names.join(', ')}${epochs ? ` after ${epochs} epochs` : ''}` });
    const finish = (results: AnalysisResult[]) => {
      this.comparison = results;
      this.generation++;
      this.panel?.post({ type: ToWebviewType.Compare, generation: this.generation, results });
      this.clearProblems();
      return results;
    };
    try {
      if (epochs <= 0) {
        const answer = await this.worker().compare(source, readSettings().engine, cells, { models });
        this.watch(answer.files);
        return finish(answer.results);
      }
      const answer = await this.trainingCompare(source, cells, models, names, epochs);
      if (!answer) return undefined;
      this.watch(answer.files);
      const diverged = answer.results.filter((r) => r.training?.reason === 'nonFinite').map((r) => r.meta.label ?? r.model.cell);
      if (diverged.length) void vscode.window.showWarningMessage(`Unroll: training diverged for ${diverged.join(', ')}; the comparison shows the last finite weights and where it happened.`);
      return finish(answer.results);
    } catch (error) {
      this.failed(error);
      return undefined;
    } finally {
      this.panel?.post({ type: ToWebviewType.Busy, busy: false, what: '' });
    }
  }

  /** A compare whose runs train first: progress in a cancellable notification, and every point to the panel with its `run` (drawn live per run). */
  private trainingCompare(source: AnalyzeSource, cells: CellKind[], models: string[] | undefined, names: string[], epochs: number) {
    const start: WebviewTrainStart = { type: ToWebviewType.TrainStart, epochs, model: names.join(' vs ') };
    this.trainingShown = { start, points: [] };
    this.panel?.post(start);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Unroll: comparing ${names.join(', ')} after ${epochs} epochs`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.stop());
        let reported = 0;
        // Every point reaches the panel (each run's curve needs all of its epochs); they are sent in batches.
        let queued: { point: TrainPoint; run: number }[] = [];
        const send = () => {
          for (const { point, run } of queued) {
            this.trainingShown?.points.push({ point, run });
            this.panel?.post({ type: ToWebviewType.TrainProgress, point, run });
          }
          queued = [];
        };
        const notify = new LatestEvery<{ point: TrainPoint; run: number }>(PROGRESS_INTERVAL_MS, ({ point, run }) => {
          send();
          const share = (100 * (run * epochs + point.epoch)) / (names.length * epochs);
          progress.report({ message: `${names[run] ?? run + 1}: epoch ${point.epoch}/${point.epochs} · loss ${point.loss.toPrecision(4)}`, increment: share - reported });
          reported = share;
        });
        let ended: TrainDoneMessage['reason'] = 'cancelled';
        void vscode.commands.executeCommand('setContext', 'unroll.training', true);
        try {
          const answer = await this.worker().compare(source, readSettings().engine, cells, { models, epochs }, (run, point) => {
            queued.push({ point, run });
            notify.push({ point, run });
          });
          // Each run's own ending (a divergence included) is in its Result; the comparison as a whole finished.
          ended = 'finished';
          return answer;
        } finally {
          notify.flush();
          send();
          this.panel?.post({ type: ToWebviewType.TrainEnd, reason: ended, nonFinite: null });
          this.trainingShown = undefined;
          void vscode.commands.executeCommand('setContext', 'unroll.training', false);
        }
      },
    );
  }

  /** Train the model file in the worker; the panel follows the loss, the notification can cancel it. */
  async train(modelPath: string, options: { saveTo?: string; epochs?: number }, totalEpochs: number): Promise<TrainDoneMessage | undefined> {
    this.setSource(this.sourceFor(modelPath));
    this.showPanel();
    const source = this.source!;
    const name = vscode.workspace.asRelativePath(modelPath);
    const start: WebviewTrainStart = { type: ToWebviewType.TrainStart, epochs: options.epochs ?? totalEpochs, model: name };
    this.trainingShown = { start, points: [] };
    this.panel?.post(start);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Unroll: training ${name}`, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.stop());
        let reported = 0;
        const show = (point: TrainPoint) => {
          const share = (100 * point.epoch) / point.epochs;
          progress.report({ message: `epoch ${point.epoch}/${point.epochs} · loss ${point.loss.toPrecision(4)}`, increment: share - reported });
          reported = share;
          this.trainingShown?.points.push({ point });
          this.panel?.post({ type: ToWebviewType.TrainProgress, point });
        };
        const throttle = new LatestEvery<TrainPoint>(PROGRESS_INTERVAL_MS, show);
        void vscode.commands.executeCommand('setContext', 'unroll.training', true);
        try {
          const done = await this.worker().train(source, readSettings().engine, options, (point) => throttle.push(point));
          throttle.flush();
          this.panel?.post({ type: ToWebviewType.TrainEnd, reason: done.reason, nonFinite: done.nonFinite });
          this.log.info(`training ${name}: ${done.reason} after ${done.last?.epoch ?? 0} epochs${done.saved ? `, weights saved to ${done.saved}` : ''}`);
          if (done.result) this.show(done.result);
          if (done.reason === 'nonFinite' && done.nonFinite)
            void vscode.window.showWarningMessage(`Unroll: training stopped: ${describeNonFinite(done.nonFinite)}.`);
          return done;
        } catch (error) {
          throttle.flush();
          this.panel?.post({ type: ToWebviewType.TrainEnd, reason: 'cancelled', nonFinite: null });
          this.failed(error);
          return undefined;
        } finally {
          this.trainingShown = undefined;
          void vscode.commands.executeCommand('setContext', 'unroll.training', false);
        }
      },
    );
  }

  /** Stop ends whatever computes: the view's analysis or comparison, and a training. */
  async stop(): Promise<void> {
    if (this.client?.stopView()) this.panel?.post({ type: ToWebviewType.Busy, busy: false, what: '' });
    await this.client?.stopTraining();
  }

  /** Closing the panel ends the session: the worker goes, the watchers go, the diagnostics stay until fixed. */
  private closeSession(): void {
    this.refresher?.throttle.cancel();
    this.refresher = undefined;
    this.client?.dispose();
    this.client = undefined;
    this.panel = undefined;
    this.unwatchAll();
  }

  private attach(panel: UnrollPanel): void {
    this.panel = panel;
    this.panelReady = false;
    panel.onMessage((message) => this.fromPanel(message));
    panel.onDidClose(() => {
      if (this.panel === panel) this.closeSession();
    });
  }

  private worker(): WorkerClient {
    this.client ??= new WorkerClient({
      // Read per thread: a changed memory limit applies to the next worker started.
      start: () => startThreadWorker(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'worker.js').fsPath, readSettings().engine.maxMemoryMB),
      log: (level, message) => this.log[level](message),
    });
    return this.client;
  }

  private setSource(source: AnalyzeSource): void {
    if (this.source?.path !== source.path) {
      this.result = undefined;
      this.comparison = undefined;
      this.unwatchAll();
    }
    this.source = source;
    this.watch([source.path]);
    void this.context.workspaceState.update(SOURCE_STATE_KEY, source.path);
  }

  /**
   * Analyze the current source. When a newer run (a save, a watcher event) supersedes this one, the answer is the
   * newer run's: a caller waiting for "the analysis of this file" gets the freshest one, not nothing.
   */
  private run(): Promise<AnalysisResult | undefined> {
    const attempt: Promise<AnalysisResult | undefined> = this.analyzeOnce().then((outcome) =>
      outcome === SUPERSEDED ? (this.latestRun !== attempt ? this.latestRun : undefined) : outcome,
    );
    this.latestRun = attempt;
    return attempt;
  }

  private async analyzeOnce(): Promise<AnalysisResult | undefined | typeof SUPERSEDED> {
    const source = this.source;
    if (!source) return undefined;
    this.panel?.post({ type: ToWebviewType.Busy, busy: true, what: 'analyzing' });
    try {
      const started = performance.now();
      const answer = await this.worker().analyze(source, readSettings().engine);
      this.log.info(`analyzed ${vscode.workspace.asRelativePath(source.path)} in ${(performance.now() - started).toFixed(0)} ms`);
      this.comparison = undefined;
      this.show(answer.result);
      this.clearProblems();
      this.setDiagnostics(answer.warnings);
      this.watch(answer.files);
      this.panel?.post({ type: ToWebviewType.Busy, busy: false, what: '' });
      return answer.result;
    } catch (error) {
      if (error instanceof CancelledError) return SUPERSEDED;
      this.panel?.post({ type: ToWebviewType.Busy, busy: false, what: '' });
      this.failed(error);
      return undefined;
    }
  }

  private show(result: AnalysisResult): void {
    this.result = result;
    this.generation++;
    this.panel?.post({ type: ToWebviewType.Result, generation: this.generation, result });
    this.panel?.setTitle(`Unroll: ${result.model.cell.toUpperCase()} · ${vscode.workspace.asRelativePath(this.source?.path ?? result.meta.dataFile)}`);
    this.status.text = `$(pulse) ${healthLine(result)}`;
    this.status.tooltip = healthTooltip(result);
    this.status.backgroundColor = undefined;
    this.status.show();
  }

  private failed(error: unknown): void {
    if (error instanceof CancelledError) return;
    if (error instanceof JobError && !error.internal) {
      this.problems = error.problems;
      this.setDiagnostics(error.problems);
      this.watch(error.problems.map((p) => this.absolute(p.file)));
      this.panel?.post({ type: ToWebviewType.Stale, problems: error.problems });
      this.status.text = `$(warning) Unroll: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`;
      this.status.tooltip = 'The picture is stale: fix the problems listed in the Problems panel.';
      this.status.show();
      this.log.warn(error.message);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.log.error(message);
    // Kept like a file's problems, so a reloaded panel shows it too and the next good run clears it.
    this.problems = [{ file: this.source?.path ?? '', line: 1, column: 1, message, severity: 'error', hint: 'see the Unroll log' }];
    this.panel?.post({ type: ToWebviewType.Stale, problems: [...this.problems] });
    // A worker's failure already names Unroll ("Unroll's worker ran out of memory …").
    void vscode.window.showErrorMessage(error instanceof WorkerFailedError ? message : `Unroll: ${message}`);
  }

  private fromPanel(message: FromWebview): void {
    switch (message.type) {
      case FromWebviewType.Ready:
        // A (re)loaded webview starts empty: give it what we have.
        if (this.comparison) this.panel?.post({ type: ToWebviewType.Compare, generation: this.generation, results: this.comparison });
        else if (this.result) this.panel?.post({ type: ToWebviewType.Result, generation: this.generation, result: this.result });
        if (this.problems.length) this.panel?.post({ type: ToWebviewType.Stale, problems: [...this.problems] });
        if (this.trainingShown) {
          this.panel?.post(this.trainingShown.start);
          for (const { point, run } of this.trainingShown.points) this.panel?.post({ type: ToWebviewType.TrainProgress, point, ...(run !== undefined ? { run } : {}) });
        }
        this.panelReady = true;
        if (this.pendingView) this.panel?.post({ type: ToWebviewType.ShowView, view: this.pendingView });
        this.pendingView = undefined;
        return;
      case FromWebviewType.Rendered:
        this.rendered = { generation: message.generation, ms: message.ms, at: performance.now() };
        return;
      case FromWebviewType.Export:
        void vscode.commands.executeCommand('unroll.saveExport', message);
        return;
      case FromWebviewType.Command:
        void vscode.commands.executeCommand(`unroll.${message.command}`);
        return;
      case FromWebviewType.SelectStep:
        return;
    }
  }

  // ---- refresh on save ----

  /**
   * The first change runs at once (the save → redraw latency is the analysis, not a wait); further changes within
   * `unroll.debounceMs` are gathered into one run at the end of that interval, and a newer run cancels an older.
   */
  private fileChanged(uri: vscode.Uri): void {
    if (uri.scheme !== 'file' || !this.watched.has(uri.fsPath) || !this.panel) return;
    const { autoRefresh, debounceMs } = readSettings();
    if (!autoRefresh) return;
    if (this.refresher?.intervalMs !== debounceMs) {
      this.refresher?.throttle.flush();
      this.refresher = { intervalMs: debounceMs, throttle: new LatestEvery<void>(debounceMs, () => void this.run()) };
    }
    this.refresher.throttle.push();
  }

  private changedOnDisk(uri: vscode.Uri): void {
    const saved = this.savedAt.get(uri.fsPath);
    if (saved !== undefined && performance.now() - saved < SAVE_ECHO_MS) return;
    this.fileChanged(uri);
  }

  private watch(paths: readonly string[]): void {
    for (const path of paths) {
      if (!path || this.watched.has(path)) continue;
      const pattern = new vscode.RelativePattern(vscode.Uri.file(dirname(path)), path.slice(dirname(path).length + 1));
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      watcher.onDidChange((uri) => this.changedOnDisk(uri));
      watcher.onDidCreate((uri) => this.changedOnDisk(uri));
      this.watched.set(path, watcher);
    }
  }

  private unwatchAll(): void {
    for (const watcher of this.watched.values()) watcher.dispose();
    this.watched.clear();
  }

  // ---- diagnostics ----

  private absolute(file: string): string {
    return resolve(this.source?.workspaceRoot ?? '', file);
  }

  private clearProblems(): void {
    this.problems = [];
    this.diagnostics.clear();
  }

  private setDiagnostics(problems: readonly Problem[]): void {
    this.diagnostics.clear();
    for (const [file, list] of problemsByFile(problems, this.source?.workspaceRoot ?? '')) {
      this.diagnostics.set(
        vscode.Uri.file(file),
        list.map((p) => {
          const r = problemRange(p);
          const range = new vscode.Range(r.startLine, r.startCharacter, r.endLine, r.endCharacter);
          const severity = p.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning;
          const diagnostic = new vscode.Diagnostic(range, problemText(p), severity);
          diagnostic.source = 'unroll';
          return diagnostic;
        }),
      );
    }
  }
}
