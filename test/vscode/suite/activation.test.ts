import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, report, unroll } from './helpers';

const COMMANDS = [
  'unroll.analyze',
  'unroll.analyzeTrace',
  'unroll.train',
  'unroll.stop',
  'unroll.compare',
  'unroll.compareModels',
  'unroll.exportReport',
  'unroll.openExamples',
  'unroll.showView',
];

describe('activation', () => {
  it('activates in the real VS Code and returns the test API', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    const api = await unroll();
    assert.equal(extension.isActive, true);
    for (const name of ['lastResult', 'resultGeneration', 'lastRendered', 'workerCount', 'panelOpen'] as const)
      assert.equal(typeof api[name], 'function', name);
    report('vscodeVersion', vscode.version);
    report('extensionHostNode', process.version);
  });

  it('registers every command it contributes, all under the Unroll category', async () => {
    await unroll();
    const contributed: { command: string; category: string }[] =
      vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands;
    assert.deepEqual(contributed.map((c) => c.command).sort(), [...COMMANDS].sort());
    for (const c of contributed) assert.equal(c.category, 'Unroll', c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of COMMANDS) assert.ok(registered.has(id), `${id} is registered`);
  });

  it('activates only on its commands, model files and panel restore, and runs in untrusted workspaces', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    for (const event of manifest.activationEvents as string[])
      assert.match(
        event,
        /^(onCommand:unroll\.|workspaceContains:.*\.unroll\.json$|onLanguage:|onWebviewPanel:unroll\.panel$)/,
        event,
      );
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, true);
  });
});
