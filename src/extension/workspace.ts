// Small questions commands ask of the workspace: read a file, does it exist, which file is the editor showing,
// which file does the user pick. Through vscode.workspace.fs, so they work on any file system VS Code opens.
import { Buffer } from 'node:buffer';
import * as vscode from 'vscode';

export async function readText(path: string): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(path))).toString('utf8');
}

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** The first workspace folder: relative paths given to a command (a walkthrough link) are relative to it. */
export function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The file in the active editor, when it is on disk and `accept` takes it. */
export function activeFile(accept: (path: string) => boolean): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' && accept(uri.fsPath) ? uri.fsPath : undefined;
}

/** A file of the workspace matching `glob`, picked by the user (undefined when none exists or none was picked). */
export async function pickWorkspaceFile(glob: string, placeHolder: string): Promise<string | undefined> {
  const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**', 500);
  if (uris.length === 0) {
    void vscode.window.showInformationMessage(
      `Unroll: no ${glob} file in this workspace. "Unroll: Open Examples" has some.`,
    );
    return undefined;
  }
  const items = uris
    .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), path: uri.fsPath }))
    .sort((a, b) => a.label.localeCompare(b.label));
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.path;
}
