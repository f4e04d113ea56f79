// Shared by the suites that run inside the extension host: reaching Unroll's test API, waiting, reporting numbers.
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { UnrollTestApi } from '../../../src/extension/testApi';

export const EXTENSION_ID = 'unroll-dev.unroll';

/** Each suite bundle has its own copy of this module; the measurements live on globalThis so the runner sees all. */
const store = ((globalThis as Record<string, unknown>).unrollTestMetrics ??= {}) as Record<string, unknown>;

export function report(name: string, value: unknown): void {
  store[name] = value;
}

export function metrics(): Record<string, unknown> {
  return { ...store };
}

export async function unroll(): Promise<UnrollTestApi> {
  const extension = vscode.extensions.getExtension<UnrollTestApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return extension.activate();
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need a workspace folder (a copy of examples/)');
  return folder.uri;
}

/** Polls until `check` returns a value other than undefined/false; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The panel drew generation `generation` (or a later one). */
export function renderedAtLeast(api: UnrollTestApi, generation: number) {
  return () => {
    const mark = api.lastRendered();
    return mark && mark.generation >= generation ? mark : undefined;
  };
}

function unrollTabs(): vscode.Tab[] {
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
  return tabs.filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('unroll.panel'));
}

/** Closes the panel's tab as a person would. The tab appears a moment after the panel is created: wait for it. */
export async function closeUnrollPanel(): Promise<void> {
  const tabs = await waitFor('the Unroll panel tab', () => unrollTabs().length > 0 && unrollTabs());
  await vscode.window.tabGroups.close(tabs);
}

/** Replace the whole text of a document through the editor (as typing would) and save it. */
export async function editAndSave(uri: vscode.Uri, edit: (text: string) => string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const whole = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
  const change = new vscode.WorkspaceEdit();
  change.replace(uri, whole, edit(doc.getText()));
  if (!(await vscode.workspace.applyEdit(change))) throw new Error(`could not edit ${uri.fsPath}`);
  if (!(await doc.save())) throw new Error(`could not save ${uri.fsPath}`);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
