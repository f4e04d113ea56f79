// Show View: the panel with one view selected, e.g. the walkthrough's "∂L/∂W_hh by distance" step. With a file (Uri or
// path, as for unroll.analyze), that file is analyzed first unless the panel already shows its analysis.
import * as vscode from 'vscode';
import { isPanelView, PANEL_VIEWS, type PanelView } from '../../protocol/messages';
import { locateFile } from '../files';
import { id as ANALYZE } from './analyze';
import type { Unroll } from '.';

export const id = 'unroll.showView';

/** The panel's tab titles (webview/views/*.ts), for the quick pick. */
const VIEW_TITLES: Record<PanelView, string> = {
  unrolled: 'Unrolled network',
  heatmap: 'Gradient heatmap',
  flow: 'Flow matrix',
  decay: 'Decay by distance',
  whh: 'Where ∂L/∂W_hh comes from',
  training: 'Training',
  compare: 'Compare cells',
  timeline: 'Timeline (a PyTorch trace)',
};

export async function run(unroll: Unroll, view?: unknown, file?: vscode.Uri | string): Promise<PanelView | undefined> {
  const { session } = unroll;
  if (view === undefined) {
    const items = PANEL_VIEWS.map((id) => ({ label: VIEW_TITLES[id], id }));
    view = (await vscode.window.showQuickPick(items, { placeHolder: 'View of the Unroll panel to show' }))?.id;
    if (view === undefined) return undefined;
  }
  if (!isPanelView(view)) {
    void vscode.window.showErrorMessage(
      `Unroll: ${JSON.stringify(view) ?? 'nothing'} is not a view of the panel; the views are ${PANEL_VIEWS.join(', ')}.`,
    );
    return undefined;
  }
  if (file !== undefined && file !== null) {
    const path = await locateFile(file, unroll.extensionUri);
    if (!path) return undefined;
    if (session.source?.path !== path || !session.result || session.comparison)
      await vscode.commands.executeCommand(ANALYZE, vscode.Uri.file(path));
  } else if (!session.result && !session.comparison) {
    void vscode.window.showInformationMessage(
      'Unroll: the panel shows nothing yet; analyze a file first (Unroll: Analyze Sequence File).',
    );
  }
  unroll.panel.showView(view);
  // The walkthrough marks a step done by the view it showed (several steps use this command).
  void vscode.commands.executeCommand('setContext', 'unroll.shownView', view);
  return view;
}
