// Open Examples: copies the bundled examples into a folder (the given one, else one the user picks), keeping any
// file of the same name already there, and offers to open the folder.
import * as vscode from 'vscode';
import { exists } from '../workspace';
import type { Unroll } from '.';

export const id = 'unroll.openExamples';

export async function run(unroll: Unroll, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const folder =
    target ??
    (
      await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        openLabel: 'Copy the Unroll examples here',
      })
    )?.[0];
  if (!folder) return undefined;
  const examples = vscode.Uri.joinPath(unroll.extensionUri, 'examples');
  const skipped: string[] = [];
  for (const [name, type] of await vscode.workspace.fs.readDirectory(examples)) {
    if (type !== vscode.FileType.File) continue;
    const to = vscode.Uri.joinPath(folder, name);
    if (await exists(to)) skipped.push(name);
    else await vscode.workspace.fs.copy(vscode.Uri.joinPath(examples, name), to);
  }
  if (skipped.length) void vscode.window.showWarningMessage(`Unroll: kept your existing ${skipped.join(', ')}.`);
  if (!target) {
    const open = await vscode.window.showInformationMessage(
      `Unroll examples copied to ${folder.fsPath}.`,
      'Open Folder',
    );
    if (open) await vscode.commands.executeCommand('vscode.openFolder', folder);
  }
  return folder;
}
