// Unroll's extension host entry: builds the units and wires them. Compute happens in the worker; this side owns
// commands, panel, diagnostics, status bar and refresh on save.
//
//   commands/*      one module per command, registered from commands/index.ts
//   analysis.ts     analyze, refresh, restore after reload, compare      ─┐
//   training.ts     train, trained compares: notification, live curve     ├─ on the worker lanes (workers.ts)
//   session.ts      what is on screen: source, Result, problems          ─┘  and shown through:
//   panelHost.ts    the panel's lifetime; panelMessages.ts its messages
//   statusBar.ts    diagnostics.ts    watching.ts (save → refresh, debounced)
import * as vscode from 'vscode';
import { ToWebviewType } from '../protocol/messages';
import { Analysis } from './analysis';
import { registerCommands, type Unroll } from './commands';
import { Diagnostics } from './diagnostics';
import { PANEL_VIEW_TYPE } from './panel';
import { handlePanelMessage } from './panelMessages';
import { PanelHost } from './panelHost';
import { Session } from './session';
import { StatusBar } from './statusBar';
import { testApi, type UnrollTestApi } from './testApi';
import { Training } from './training';
import { Watching } from './watching';
import { Workers } from './workers';

let units: vscode.Disposable | undefined;

/** The return value is Unroll's test API (test/vscode/README.md); it computes nothing on its own. */
export function activate(context: vscode.ExtensionContext): UnrollTestApi {
  const { extensionUri } = context;
  const log = vscode.window.createOutputChannel('Unroll', { log: true });
  context.subscriptions.push(log);

  const panel = new PanelHost(extensionUri, log);
  const workers = new Workers(extensionUri, log, () => panel.post({ type: ToWebviewType.Busy, busy: false, what: '' }));
  const watching = new Watching(() => panel.open);
  const diagnostics = new Diagnostics();
  const status = new StatusBar();
  const session = new Session(context.workspaceState, panel, watching, diagnostics, status, log);
  const training = new Training(session, panel, workers, log);
  const analysis = new Analysis(session, panel, workers, training, log);

  watching.onRefresh(() => void analysis.run());
  panel.onMessage((message) => handlePanelMessage(message, session, analysis));
  // Closing the panel ends the session: the worker threads go, the watchers go, the diagnostics stay until fixed.
  panel.onDidClose(() => {
    watching.reset();
    workers.dispose();
  });

  // Disposed in this order (by deactivate, else with context.subscriptions): the threads first, then listeners and UI.
  units = vscode.Disposable.from(workers, watching, training, session, status, diagnostics, panel);
  context.subscriptions.push(units);

  const unroll: Unroll = { extensionUri, log, session, panel, analysis, training, workers };
  context.subscriptions.push(
    ...registerCommands(unroll),
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: (webviewPanel, state) => analysis.restore(webviewPanel, state),
    }),
  );
  log.info(`Unroll ${context.extension.packageJSON.version} active in VS Code ${vscode.version}`);
  return testApi(session, panel, workers);
}

/** Frees the worker threads and the listeners (also done by context.subscriptions; explicit so the order is clear). */
export function deactivate(): void {
  units?.dispose();
  units = undefined;
}
