// Trainings as the user follows them: a cancellable notification with the epoch and loss, the panel's Training tab
// fed point by point (throttled to a few a second), the `unroll.training` context key (it shows Stop in the palette),
// and at the end the analysis of the weights reached. Two kinds: training one model file (train), and a comparison
// whose runs train first (compareAfterTraining, on the view's lane; analysis.ts starts it).
import * as vscode from 'vscode';
import {
  ToWebviewType,
  type AnalyzeSource,
  type CompareResultMessage,
  type TrainDoneMessage,
  type WebviewTrainStart,
} from '../protocol/messages';
import type { CellKind, TrainPoint } from '../protocol/result';
import { describeNonFinite } from '../protocol/summary';
import { Disposable } from './dispose';
import type { PanelHost } from './panelHost';
import type { Session } from './session';
import { readSettings } from './settings';
import { LatestEvery } from './throttle';
import type { Workers } from './workers';

/** A fast training reports thousands of epochs a second; the panel and the notification need a few a second. */
const PROGRESS_INTERVAL_MS = 50;

type Progress = vscode.Progress<{ message?: string; increment?: number }>;

export class Training extends Disposable {
  /** The running training as the panel shows it, for a webview that (re)loads mid-run (it was hidden, or new). */
  private shown: { start: WebviewTrainStart; points: { point: TrainPoint; run?: number }[] } | undefined;

  constructor(
    private readonly session: Session,
    private readonly panel: PanelHost,
    private readonly workers: Workers,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.own(
      panel.onDidLoad(() => {
        if (!this.shown) return;
        this.panel.post(this.shown.start);
        for (const { point, run } of this.shown.points)
          this.panel.post({ type: ToWebviewType.TrainProgress, point, ...(run !== undefined ? { run } : {}) });
      }),
    );
  }

  /** Train the model file in the worker; the panel follows the loss, the notification can cancel it. */
  async train(
    modelPath: string,
    options: { saveTo?: string; epochs?: number },
    totalEpochs: number,
  ): Promise<TrainDoneMessage | undefined> {
    const source = this.session.setSource(modelPath);
    this.panel.show();
    const name = vscode.workspace.asRelativePath(modelPath);
    return this.following(
      `Unroll: training ${name}`,
      { type: ToWebviewType.TrainStart, epochs: options.epochs ?? totalEpochs, model: name },
      async (progress) => {
        let reported = 0;
        const show = (point: TrainPoint) => {
          const share = (100 * point.epoch) / point.epochs;
          progress.report({
            message: `epoch ${point.epoch}/${point.epochs} · loss ${point.loss.toPrecision(4)}`,
            increment: share - reported,
          });
          reported = share;
          this.shown?.points.push({ point });
          this.panel.post({ type: ToWebviewType.TrainProgress, point });
        };
        const throttle = new LatestEvery<TrainPoint>(PROGRESS_INTERVAL_MS, show);
        try {
          const done = await this.workers
            .client()
            .train(source, readSettings().engine, options, (point) => throttle.push(point));
          throttle.flush();
          this.panel.post({ type: ToWebviewType.TrainEnd, reason: done.reason, nonFinite: done.nonFinite });
          this.log.info(
            `training ${name}: ${done.reason} after ${done.last?.epoch ?? 0} epochs${done.saved ? `, weights saved to ${done.saved}` : ''}`,
          );
          if (done.result) this.session.showResult(done.result);
          if (done.reason === 'nonFinite' && done.nonFinite)
            void vscode.window.showWarningMessage(`Unroll: training stopped: ${describeNonFinite(done.nonFinite)}.`);
          return done;
        } catch (error) {
          throttle.flush();
          this.panel.post({ type: ToWebviewType.TrainEnd, reason: 'cancelled', nonFinite: null });
          this.session.failed(error);
          return undefined;
        }
      },
    );
  }

  /**
   * A compare whose runs train first (`names`: one per run): progress in a cancellable notification, and every point
   * to the panel with its `run` (drawn live per run). Errors are the caller's to show.
   */
  compareAfterTraining(
    source: AnalyzeSource,
    cells: CellKind[],
    models: string[] | undefined,
    names: string[],
    epochs: number,
  ): Thenable<CompareResultMessage> {
    const start: WebviewTrainStart = { type: ToWebviewType.TrainStart, epochs, model: names.join(' vs ') };
    return this.following(`Unroll: comparing ${names.join(', ')} after ${epochs} epochs`, start, async (progress) => {
      let reported = 0;
      // Every point reaches the panel (each run's curve needs all of its epochs); they are sent in batches.
      let queued: { point: TrainPoint; run: number }[] = [];
      const send = () => {
        for (const { point, run } of queued) {
          this.shown?.points.push({ point, run });
          this.panel.post({ type: ToWebviewType.TrainProgress, point, run });
        }
        queued = [];
      };
      const notify = new LatestEvery<{ point: TrainPoint; run: number }>(PROGRESS_INTERVAL_MS, ({ point, run }) => {
        send();
        const share = (100 * (run * epochs + point.epoch)) / (names.length * epochs);
        progress.report({
          message: `${names[run] ?? run + 1}: epoch ${point.epoch}/${point.epochs} · loss ${point.loss.toPrecision(4)}`,
          increment: share - reported,
        });
        reported = share;
      });
      let ended: TrainDoneMessage['reason'] = 'cancelled';
      try {
        const answer = await this.workers
          .client()
          .compare(source, readSettings().engine, cells, { models, epochs }, (run, point) => {
            queued.push({ point, run });
            notify.push({ point, run });
          });
        // Each run's own ending (a divergence included) is in its Result; the comparison as a whole finished.
        ended = 'finished';
        return answer;
      } finally {
        notify.flush();
        send();
        this.panel.post({ type: ToWebviewType.TrainEnd, reason: ended, nonFinite: null });
      }
    });
  }

  /**
   * What every training shares: the panel's Training tab starts (`start`), a cancellable notification (cancelling
   * stops whatever computes), and the `unroll.training` context key while `body` runs.
   */
  private following<T>(title: string, start: WebviewTrainStart, body: (progress: Progress) => Promise<T>): Thenable<T> {
    this.shown = { start, points: [] };
    this.panel.post(start);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.workers.stop());
        void vscode.commands.executeCommand('setContext', 'unroll.training', true);
        try {
          return await body(progress);
        } finally {
          this.shown = undefined;
          void vscode.commands.executeCommand('setContext', 'unroll.training', false);
        }
      },
    );
  }
}
