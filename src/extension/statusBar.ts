// The status-bar line: the gradient health of the Result on screen (words from src/protocol/summary.ts), or how many
// problems made the picture stale. Clicking it shows the panel.
import * as vscode from 'vscode';
import type { AnalysisResult } from '../protocol/result';
import { healthLine, healthTooltip } from '../protocol/summary';
import { replayExplanation, replayShort, replaySentence, replayState } from '../protocol/trace';
import { Disposable } from './dispose';
import { id as SHOW_PANEL } from './commands/showPanel';

export class StatusBar extends Disposable {
  private readonly item = this.own(
    vscode.window.createStatusBarItem('unroll.health', vscode.StatusBarAlignment.Left, 50),
  );

  constructor() {
    super();
    this.item.name = 'Unroll gradient health';
    this.item.command = SHOW_PANEL;
  }

  /** The health line; for a trace replay also the snapshot and how the replay checked out, a failed or approximate check flagged in the warning colors. */
  showHealth(result: AnalysisResult): void {
    const replay = replayShort(result);
    const flagged = result.replay !== undefined && replayState(result.replay) !== 'ok';
    this.item.text = `${flagged ? '$(warning)' : '$(pulse)'} ${healthLine(result)}${replay ? ` · ${replay}` : ''}`;
    this.item.tooltip = result.replay
      ? `${replaySentence(result)}\n\n${healthTooltip(result)}\n\n${replayExplanation(result)}`
      : healthTooltip(result);
    this.item.backgroundColor = flagged ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  showProblems(count: number): void {
    this.item.text = `$(warning) Unroll: ${count} problem${count === 1 ? '' : 's'}`;
    this.item.tooltip = 'The picture is stale: fix the problems listed in the Problems panel.';
    this.item.show();
  }
}
