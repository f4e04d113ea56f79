// Unroll's extension host entry. Compute happens in the worker; this side owns commands, panel, diagnostics, status.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Controller, type UnrollTestApi } from './controller';
import { PANEL_VIEW_TYPE } from './panel';

let controller: Controller | undefined;

/** The return value is Unroll's test API (test/vscode/README.md); it computes nothing on its own. */
export function activate(context: vscode.ExtensionContext): UnrollTestApi {
  const log = vscode.window.createOutputChannel('Unroll', { log: true });
  context.subscriptions.push(log);
  controller = new Controller(context, log);
  context.subscriptions.push(controller);
  registerCommands(context, controller);
  const owner = controller;
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state) => owner.restore(panel, state),
    }),
  );
  log.info(`Unroll ${context.extension.packageJSON.version} active in VS Code ${vscode.version}`);
  return controller.testApi;
}

/** Frees the worker and the panel (also done by context.subscriptions; explicit so the order is clear). */
export function deactivate(): void {
  controller?.dispose();
  controller = undefined;
}
