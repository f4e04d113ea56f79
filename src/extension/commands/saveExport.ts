// Internal (not in the palette): an export the panel rendered (a view as PNG/SVG/JSON/HTML), saved where the user
// says; nothing is written unasked.
import { Buffer } from 'node:buffer';
import { dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { WebviewExport } from '../../protocol/messages';
import { nodeWrites } from '../../data/nodeFiles';
import type { Unroll } from '.';

export const id = 'unroll.saveExport';
export const internal = true;

export async function run(unroll: Unroll, message: WebviewExport): Promise<void> {
  const name = `${message.view}.${message.format}`;
  const source = unroll.session.source;
  const base = source ? dirname(source.path) : undefined;
  const uri = await vscode.window.showSaveDialog({
    defaultUri: base ? vscode.Uri.file(resolve(base, name)) : undefined,
    filters: { [message.format.toUpperCase()]: [message.format] },
  });
  if (!uri) return;
  const bytes = message.format === 'png' ? Buffer.from(message.data, 'base64') : Buffer.from(message.data, 'utf8');
  await nodeWrites.writeFile(uri.fsPath, bytes);
}
