// The worker threads' lifetime on the extension's side: one WorkerClient (src/worker/client.ts, two lanes: the
// view's analyses and comparisons, and a training), started on first use and ended with the session (the panel
// closed) or the extension. Stop lives here because it ends whatever either lane computes.
import * as vscode from 'vscode';
import { WorkerClient } from '../worker/client';
import { liveThreadWorkers, startThreadWorker } from '../worker/transport';
import { readSettings } from './settings';

export class Workers implements vscode.Disposable {
  private current: WorkerClient | undefined;

  /**
   * @param onViewStopped Stop ended a running analysis or comparison (the panel stops showing "busy").
   */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onViewStopped: () => void,
  ) {}

  /** The session's client, created if it has none (its threads start lazily, per lane, on the first request). */
  client(): WorkerClient {
    this.current ??= new WorkerClient({
      // Read per thread: a changed memory limit applies to the next worker started.
      start: () =>
        startThreadWorker(
          vscode.Uri.joinPath(this.extensionUri, 'dist', 'worker.js').fsPath,
          readSettings().engine.maxMemoryMB,
        ),
      log: (level, message) => this.log[level](message),
    });
    return this.current;
  }

  /** A training runs on the training lane. */
  get training(): boolean {
    return this.current?.training ?? false;
  }

  /** Worker threads alive in the extension host (the view's, and a training's while it runs). */
  get threadCount(): number {
    return liveThreadWorkers();
  }

  /** Stop ends whatever computes: the view's analysis or comparison, and a training. */
  async stop(): Promise<void> {
    if (this.current?.stopView()) this.onViewStopped();
    await this.current?.stopTraining();
  }

  /** Ends the view's worker thread as a crash would (the soak test); false when none was running. */
  killViewWorker(): boolean {
    return this.current?.killViewWorker() ?? false;
  }

  /** Ends both threads; the next request starts a fresh client. */
  dispose(): void {
    this.current?.dispose();
    this.current = undefined;
  }
}
