// A command's file argument, found in the workspace: a Uri from a menu, or a path from a command link (the
// walkthrough's buttons). A missing file is a message with a way out ("Open Examples"), never an exception.
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { isTraceFolder } from '../data/kinds';
import { bestMatch, fileArgument, missingFileMessage } from './locate';

/** A file, or a trace folder (`*.unroll-trace`, analyzed as one). */
async function isFile(uri: vscode.Uri): Promise<boolean> {
  try {
    const type = (await vscode.workspace.fs.stat(uri)).type;
    return (
      (type & vscode.FileType.File) !== 0 || ((type & vscode.FileType.Directory) !== 0 && isTraceFolder(uri.fsPath))
    );
  } catch {
    return false;
  }
}

/**
 * The absolute path of the file `arg` names: a file Uri, an absolute path, or a path relative to a workspace
 * folder (first at that place in a workspace folder, else the shallowest file with that name and tail anywhere
 * in the workspace). Undefined (after telling the user why) when there is none; `arg` absent is undefined too,
 * silently, so callers can fall back to asking.
 */
export async function locateFile(arg: unknown, extensionUri: vscode.Uri): Promise<string | undefined> {
  if (arg === undefined || arg === null) return undefined;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  const file = fileArgument(arg);
  if (!file) {
    void vscode.window.showErrorMessage(
      `Unroll: ${JSON.stringify(arg)?.slice(0, 80)} does not name a file in the workspace.`,
    );
    return undefined;
  }
  if (file.kind === 'absolute') {
    if (await isFile(vscode.Uri.file(file.path))) return file.path;
    void vscode.window.showErrorMessage(`Unroll: ${file.path} does not exist.`);
    return undefined;
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  for (const folder of folders) {
    const candidate = vscode.Uri.file(join(folder.uri.fsPath, file.path));
    if (await isFile(candidate)) return candidate.fsPath;
  }
  if (folders.length > 0) {
    const glob = `**/${file.path.split(/[\\/]/).join('/')}`;
    const found = await vscode.workspace.findFiles(glob, '**/node_modules/**', 50);
    const match = bestMatch(
      file.path,
      found.filter((u) => u.scheme === 'file').map((u) => u.fsPath),
    );
    if (match) return match;
  }
  const isExample = await isFile(vscode.Uri.joinPath(extensionUri, 'examples', basename(file.path)));
  const openExamples = 'Open Examples';
  // Not awaited: the command ends now; the button acts whenever the user clicks it.
  void vscode.window
    .showWarningMessage(
      missingFileMessage(file.path, isExample, folders.length > 0),
      ...(isExample ? [openExamples] : []),
    )
    .then((answer) => {
      if (answer === openExamples) void vscode.commands.executeCommand('unroll.openExamples');
    });
  return undefined;
}
