// Every Unroll command, one module each (`<name>.ts` holds `unroll.<name>`): its `id` and `run(unroll, ...args)`.
// COMMANDS is the one list that registers them; package.json `contributes.commands` names the same ones except the
// internal commands (marked `internal`), checked by test/unit/extensionCommands.test.ts.
// A command resolves what it acts on, asks only what it must, and hands the work to the units in `Unroll`;
// arguments let tests, command links and other extensions skip the questions.
import * as vscode from 'vscode';
import type { Analysis } from '../analysis';
import type { PanelHost } from '../panelHost';
import type { Session } from '../session';
import type { Training } from '../training';
import type { Workers } from '../workers';
import * as analyze from './analyze';
import * as analyzeTrace from './analyzeTrace';
import * as compare from './compare';
import * as compareModels from './compareModels';
import * as exportReport from './exportReport';
import * as openExamples from './openExamples';
import * as saveExport from './saveExport';
import * as showPanel from './showPanel';
import * as showView from './showView';
import * as stop from './stop';
import * as train from './train';

/** The extension's units, as the commands see them (wired in ../index.ts). */
export interface Unroll {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly session: Session;
  readonly panel: PanelHost;
  readonly analysis: Analysis;
  readonly training: Training;
  readonly workers: Workers;
}

export interface UnrollCommand {
  readonly id: string;
  /** Not in the command palette (package.json): used by the status bar or the panel. */
  readonly internal?: boolean;
  run(unroll: Unroll, ...args: any[]): unknown;
}

export const COMMANDS: readonly UnrollCommand[] = [
  analyze,
  analyzeTrace,
  train,
  stop,
  compare,
  compareModels,
  exportReport,
  openExamples,
  showView,
  showPanel,
  saveExport,
];

export function registerCommands(unroll: Unroll): vscode.Disposable[] {
  return COMMANDS.map((command) =>
    vscode.commands.registerCommand(command.id, (...args: unknown[]) => command.run(unroll, ...args)),
  );
}
