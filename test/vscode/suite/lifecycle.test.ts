import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { closeUnrollPanel, unroll, waitFor, workspaceRoot } from './helpers';

const modelFile = () => {
  const name = readdirSync(workspaceRoot().fsPath).find((n) => n.endsWith('.unroll.json'));
  if (!name) throw new Error('no model file in the workspace');
  return vscode.Uri.file(join(workspaceRoot().fsPath, name));
};

describe('panel lifecycle', () => {
  it('closing the panel frees the worker', async () => {
    const api = await unroll();
    assert.ok(await vscode.commands.executeCommand('unroll.analyze', modelFile()));
    assert.equal(api.panelOpen(), true);
    assert.ok(api.workerCount() >= 1, 'a worker thread computed the Result');
    await closeUnrollPanel();
    await waitFor('the panel to close', () => !api.panelOpen());
    await waitFor('no worker threads left', () => api.workerCount() === 0, 5000);
  });

  it('closing the panel during a training ends it and frees the worker', async () => {
    const api = await unroll();
    const training = vscode.commands.executeCommand('unroll.train', modelFile(), { save: false, epochs: 100000 });
    await waitFor('the training to start', () => api.training());
    await closeUnrollPanel();
    await training;
    assert.equal(api.training(), false);
    await waitFor('no worker threads left', () => api.workerCount() === 0, 5000);
  });

  it('a new analysis after closing starts a fresh worker', async () => {
    const api = await unroll();
    assert.ok(await vscode.commands.executeCommand('unroll.analyze', modelFile()));
    assert.equal(api.workerCount(), 1);
  });
});
