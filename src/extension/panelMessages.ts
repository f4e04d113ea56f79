// What the extension does with each message from the panel (Ready excepted: panelHost.ts turns it into onDidLoad).
// One case per FromWebviewType; a new message from the webview gets its case here.
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { FromWebviewType } from '../protocol/messages';
import { id as SAVE_EXPORT } from './commands/saveExport';
import type { Analysis } from './analysis';
import type { PanelMessage } from './panelHost';
import type { Session } from './session';

export function handlePanelMessage(message: PanelMessage, session: Session, analysis: Analysis): void {
  switch (message.type) {
    case FromWebviewType.Rendered:
      session.rendered = {
        generation: message.generation,
        ms: message.ms,
        at: performance.now(),
        view: message.view,
        replay: message.replay,
      };
      return;
    case FromWebviewType.Export:
      void vscode.commands.executeCommand(SAVE_EXPORT, message);
      return;
    case FromWebviewType.Command:
      void vscode.commands.executeCommand(`unroll.${message.command}`);
      return;
    case FromWebviewType.SelectStep:
      return;
    case FromWebviewType.SelectSnapshot:
      // The timeline picked another snapshot of the trace on screen: replay it (a newer pick supersedes this run).
      if (session.selectSnapshot(message.step)) void analysis.run();
      return;
    case FromWebviewType.SelectTraceLayer:
      // The layer control picked another layer or direction of the trace on screen: show that one.
      if (session.selectTraceLayer(message.layer, message.reverse)) void analysis.run();
      return;
  }
}
