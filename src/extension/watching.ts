// Refresh on save: the files the analysis on screen read (data, model, weights, a problem's file) are watched; an
// editor save or an on-disk change of any of them asks for a new run, debounced by `unroll.debounceMs`.
// The first change runs at once (the save → redraw latency is the analysis, not a wait); further changes within the
// interval are gathered into one run at its end, and the newer run cancels an older one (workers.ts, client.ts).
import { performance } from 'node:perf_hooks';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import { readSettings } from './settings';
import { LatestEvery } from './throttle';

/** A file watcher reports an editor save some milliseconds after onDidSaveTextDocument did. */
const SAVE_ECHO_MS = 1000;

export class Watching extends Disposable {
  /** Watched files (absolute paths) and their watchers. */
  private readonly watched = new Map<string, vscode.Disposable>();
  /** When each file was last saved in the editor: the watcher's event for the same save is not a second change. */
  private readonly savedAt = new Map<string, number>();
  private refresher: { intervalMs: number; throttle: LatestEvery<void> } | undefined;
  private readonly refresh = this.own(new vscode.EventEmitter<void>());
  /** A watched file changed (debounced): run the analysis again. */
  readonly onRefresh = this.refresh.event;

  /** @param active Whether a change should refresh anything now (the panel is open). */
  constructor(private readonly active: () => boolean) {
    super();
    this.own(
      vscode.workspace.onDidSaveTextDocument((doc) => {
        this.savedAt.set(doc.uri.fsPath, performance.now());
        this.changed(doc.uri);
      }),
    );
    this.own({ dispose: () => this.reset() });
  }

  /** Watch these files too (absolute paths; empty strings and files already watched are skipped). */
  watch(paths: readonly string[]): void {
    for (const path of paths) {
      if (!path || this.watched.has(path)) continue;
      const pattern = new vscode.RelativePattern(vscode.Uri.file(dirname(path)), path.slice(dirname(path).length + 1));
      const watcher = vscode.workspace.createFileSystemWatcher(pattern);
      watcher.onDidChange((uri) => this.changedOnDisk(uri));
      watcher.onDidCreate((uri) => this.changedOnDisk(uri));
      this.watched.set(path, watcher);
    }
  }

  /** Watch nothing (another source is on screen). */
  unwatchAll(): void {
    for (const watcher of this.watched.values()) watcher.dispose();
    this.watched.clear();
  }

  /** The session ended: no refresh is pending and nothing is watched. */
  reset(): void {
    this.refresher?.throttle.cancel();
    this.refresher = undefined;
    this.unwatchAll();
  }

  private changed(uri: vscode.Uri): void {
    if (uri.scheme !== 'file' || !this.watched.has(uri.fsPath) || !this.active()) return;
    const { autoRefresh, debounceMs } = readSettings();
    if (!autoRefresh) return;
    if (this.refresher?.intervalMs !== debounceMs) {
      this.refresher?.throttle.flush();
      this.refresher = {
        intervalMs: debounceMs,
        throttle: new LatestEvery<void>(debounceMs, () => this.refresh.fire()),
      };
    }
    this.refresher.throttle.push();
  }

  private changedOnDisk(uri: vscode.Uri): void {
    const saved = this.savedAt.get(uri.fsPath);
    if (saved !== undefined && performance.now() - saved < SAVE_ECHO_MS) return;
    this.changed(uri);
  }
}
