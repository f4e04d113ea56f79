import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { TrainDoneMessage } from '../../../src/protocol/messages';
import { renderedAtLeast, report, unroll, waitFor, workspaceRoot } from './helpers';

const root = workspaceRoot().fsPath;

/** A sine series longer than 2048 steps and an LSTM model file whose window takes T = 2048 of it. */
function longSeries(): vscode.Uri {
  const dir = join(root, 'generated');
  mkdirSync(dir, { recursive: true });
  const rows = ['x'];
  for (let t = 0; t < 2100; t++) rows.push((Math.sin(t / 7) + 0.3 * Math.sin(t / 31)).toFixed(6));
  writeFileSync(join(dir, 'long2048.csv'), rows.join('\n') + '\n');
  const model = {
    data: './long2048.csv',
    task: 'next-step',
    cell: 'lstm',
    hidden: 32,
    window: 2048,
    epochs: 4,
    seed: 1,
  };
  const path = join(dir, 'long2048.unroll.json');
  writeFileSync(path, JSON.stringify(model, null, 2));
  return vscode.Uri.file(path);
}

describe('training', () => {
  it('Stop ends a running training (target 100 ms: measured and reported)', async () => {
    const api = await unroll();
    const model =
      readdirSync(root)
        .filter((n) => n.endsWith('.unroll.json'))
        .sort()
        .find((n) => n.includes('lstm')) ?? readdirSync(root).find((n) => n.endsWith('.unroll.json'));
    assert.ok(model, 'a model file to train');
    const training = vscode.commands.executeCommand<TrainDoneMessage | undefined>(
      'unroll.train',
      vscode.Uri.file(join(root, model)),
      { save: false, epochs: 100000 },
    );
    await waitFor('the training to start', () => api.training());
    await new Promise((r) => setTimeout(r, 300)); // let it get into its batches
    const started = performance.now();
    await vscode.commands.executeCommand('unroll.stop');
    const done = await training;
    const stopMs = performance.now() - started;
    report('stopTrainingMs', Math.round(stopMs * 10) / 10);
    assert.equal(done?.reason, 'cancelled');
    assert.equal(api.training(), false);
    // The 100 ms target is reported, not asserted (shared, noisy machines); a Stop that hangs is still a failure.
    assert.ok(stopMs <= 2000, `stopped after ${stopMs.toFixed(1)} ms`);
  });

  it('the extension host event loop is never blocked for more than 50 ms while a T=2048 LSTM trains', async () => {
    const api = await unroll();
    const uri = longSeries();
    // Open the panel, start the worker and let the panel draw this model first: that is the Analyze command's cost,
    // not training's (on two cores, Chromium drawing a 2048-step picture also takes CPU time from the host).
    assert.ok(
      await vscode.commands.executeCommand('unroll.analyze', uri),
      `analysis failed: ${JSON.stringify(api.lastProblems())}`,
    );
    await waitFor('the panel to draw the analysis', renderedAtLeast(api, api.resultGeneration()));
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const stalls = new StallMeter();
    delay.enable();
    stalls.start();
    const started = performance.now();
    const done = await vscode.commands.executeCommand<TrainDoneMessage | undefined>('unroll.train', uri, {
      save: false,
    });
    const trainMs = performance.now() - started;
    stalls.stop();
    delay.disable();
    assert.ok(done, `training failed: ${JSON.stringify(api.lastProblems())}`);
    assert.equal(done.reason, 'finished');
    assert.equal(done.result?.meta.steps, 2048);
    const round = (ms: number) => Math.round(ms * 10) / 10;
    report('eventLoopDuringT2048Training', {
      maxDelayMs: round(delay.max / 1e6),
      p99DelayMs: round(delay.percentile(99) / 1e6),
      longestBusyStallMs: stalls.measuresCpu ? round(stalls.longestBusy) : 'n/a (no process.threadCpuUsage)',
      trainMs: Math.round(trainMs),
      epochs: done.last?.epoch,
    });
    const blocked = stalls.measuresCpu ? stalls.longestBusy : delay.max / 1e6;
    assert.ok(blocked <= 50, `the event loop was blocked for ${blocked.toFixed(1)} ms`);
  });
});

/**
 * Tells a blocked event loop from a starved one. Wall-clock delay alone also counts the time the host thread waited
 * for a CPU (two cores shared with Chromium and the worker); a block is a gap in which the host thread itself ran.
 * Node ≥ 23.9 gives the thread's own CPU time (process.threadCpuUsage); VS Code 1.139's extension host has it.
 */
class StallMeter {
  longestBusy = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly threadCpuMs = (process as { threadCpuUsage?: () => { user: number; system: number } })
    .threadCpuUsage;

  get measuresCpu(): boolean {
    return this.threadCpuMs !== undefined;
  }

  start(): void {
    if (!this.threadCpuMs) return;
    const cpuMs = () => {
      const u = this.threadCpuMs!.call(process);
      return (u.user + u.system) / 1000;
    };
    let lastCpu = cpuMs();
    this.timer = setInterval(() => {
      const cpu = cpuMs();
      this.longestBusy = Math.max(this.longestBusy, cpu - lastCpu);
      lastCpu = cpu;
    }, 1);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
