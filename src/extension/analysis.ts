// Analyses and comparisons on the view's lane: analyze a file (show the panel, run, show the Result), run again when
// a watched file changed (watching.ts calls run), restore the panel after a reload, and compare cells or model files
// side by side (training first through training.ts when epochs are asked for).
import { performance } from 'node:perf_hooks';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { ToWebviewType } from '../protocol/messages';
import type { AnalysisResult, CellKind } from '../protocol/result';
import { CancelledError } from '../worker/client';
import type { PanelHost } from './panelHost';
import type { Session } from './session';
import { readSettings } from './settings';
import type { Training } from './training';
import type { Workers } from './workers';

/** What a run that a newer one cancelled answers internally. */
const SUPERSEDED = Symbol('superseded');

export class Analysis {
  private latestRun: Promise<AnalysisResult | undefined> | undefined;

  constructor(
    private readonly session: Session,
    private readonly panel: PanelHost,
    private readonly workers: Workers,
    private readonly training: Training,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * Show the panel for `path` and analyze it; resolves when the Result (or the problems) arrived. For a trace folder,
   * `traceStep` picks the snapshot (default: the latest).
   */
  async analyze(path: string, traceStep?: number | 'latest'): Promise<AnalysisResult | undefined> {
    this.session.setSource(path, traceStep);
    this.panel.show();
    return this.run();
  }

  /** After a window reload: the panel VS Code kept, and the file it showed. */
  async restore(webviewPanel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.panel.revive(webviewPanel);
    const path = this.session.restoredPath(state);
    if (!path) return;
    this.session.setSource(path);
    await this.run();
  }

  /**
   * Analyze the current source. When a newer run (a save, a watcher event) supersedes this one, the answer is the
   * newer run's: a caller waiting for "the analysis of this file" gets the freshest one, not nothing.
   */
  run(): Promise<AnalysisResult | undefined> {
    const attempt: Promise<AnalysisResult | undefined> = this.analyzeOnce().then((outcome) =>
      outcome === SUPERSEDED ? (this.latestRun !== attempt ? this.latestRun : undefined) : outcome,
    );
    this.latestRun = attempt;
    return attempt;
  }

  /**
   * Runs side by side in the panel's Compare tab: one per cell on the current source, or one per model file
   * (`models`, absolute paths; the first becomes the panel's source). With `epochs` every run trains first: the
   * notification follows the runs and can stop them, the Training tab follows every run's epochs.
   */
  async compare(
    cells: CellKind[],
    options: { epochs?: number; models?: string[] } = {},
  ): Promise<AnalysisResult[] | undefined> {
    const models = options.models?.length ? options.models : undefined;
    if (models) this.session.setSource(models[0]);
    const source = this.session.source;
    if (!source) return undefined;
    this.panel.show();
    const names = models ? models.map((m) => basename(m)) : cells;
    const epochs = options.epochs ?? 0;
    this.panel.post({
      type: ToWebviewType.Busy,
      busy: true,
      what: `comparing ${names.join(', ')}${epochs ? ` after ${epochs} epochs` : ''}`,
    });
    try {
      if (epochs <= 0) {
        const answer = await this.workers.client().compare(source, readSettings().engine, cells, { models });
        this.session.watch(answer.files);
        this.session.showComparison(answer.results);
        return answer.results;
      }
      const answer = await this.training.compareAfterTraining(source, cells, models, names, epochs);
      this.session.watch(answer.files);
      const diverged = answer.results
        .filter((r) => r.training?.reason === 'nonFinite')
        .map((r) => r.meta.label ?? r.model.cell);
      if (diverged.length)
        void vscode.window.showWarningMessage(
          `Unroll: training diverged for ${diverged.join(', ')}; the comparison shows the last finite weights and where it happened.`,
        );
      this.session.showComparison(answer.results);
      return answer.results;
    } catch (error) {
      this.session.failed(error);
      return undefined;
    } finally {
      this.panel.post({ type: ToWebviewType.Busy, busy: false, what: '' });
    }
  }

  private async analyzeOnce(): Promise<AnalysisResult | undefined | typeof SUPERSEDED> {
    const source = this.session.source;
    if (!source) return undefined;
    this.panel.post({ type: ToWebviewType.Busy, busy: true, what: 'analyzing' });
    try {
      const started = performance.now();
      const answer = await this.workers.client().analyze(source, readSettings().engine);
      this.log.info(
        `analyzed ${vscode.workspace.asRelativePath(source.path)} in ${(performance.now() - started).toFixed(0)} ms`,
      );
      this.session.forgetComparison();
      this.session.showResult(answer.result);
      this.session.showWarnings(answer.warnings);
      this.session.watch(answer.files);
      this.panel.post({ type: ToWebviewType.Busy, busy: false, what: '' });
      return answer.result;
    } catch (error) {
      if (error instanceof CancelledError) return SUPERSEDED;
      this.panel.post({ type: ToWebviewType.Busy, busy: false, what: '' });
      this.session.failed(error);
      return undefined;
    }
  }
}
