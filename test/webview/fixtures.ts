// The Results the panel tests feed in, in the JSON form of src/protocol/json.ts: recorded from the examples by
// test/fixtures/results/record.mjs (re-run it when the engine's output changes).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export type FixtureName = 'rnn' | 'lstm' | 'gru' | 'exploding' | 'truncated';
export const fixtureNames: FixtureName[] = ['rnn', 'lstm', 'gru', 'exploding', 'truncated'];

const cache = new Map<FixtureName, any>();

export function fixture(name: FixtureName): any {
  if (!cache.has(name))
    cache.set(name, JSON.parse(readFileSync(path.join(__dirname, '../fixtures/results', `${name}.json`), 'utf8')));
  return structuredClone(cache.get(name));
}

export interface TraceFixtureOptions {
  /** The replay check's state: within the bound, above it, or approximate (dropout between layers). */
  replay?: 'ok' | 'mismatch' | 'approximate';
  /** How many snapshots (steps 0, 100, …); every third one from the second on is left "not analyzed". */
  snapshots?: number;
  /** The step the other views show (default: the last snapshot). */
  shown?: number;
  worldSize?: number;
  /** The recorded module's layers and directions (default 1, forward only), and the one shown (default the last, forward). */
  layers?: number;
  bidirectional?: boolean;
  layer?: number;
  reverse?: boolean;
}

/**
 * A hand-made trace Result: the recorded LSTM Result plus a `replay` check and a `trace` timeline, as a replay of a
 * `*.unroll-trace` snapshot carries them (src/protocol/result.ts). The numbers are made up but each is distinct, so
 * a test can tell which snapshot a mark or a tooltip belongs to.
 */
export function traceFixture(options: TraceFixtureOptions = {}): any {
  const r = fixture('lstm');
  const n = options.snapshots ?? 13;
  const snapshots = Array.from({ length: n }, (_, i) => {
    const analyzed = i % 3 !== 1;
    return {
      step: i * 100,
      file: `step-${i * 100}.safetensors`,
      loss: 4.2 * 0.9 ** i,
      horizon: analyzed ? 6 + 2 * i : null,
      decaySlope: analyzed ? -0.4 + 0.025 * i : null,
      rho: analyzed ? 0.7 + 0.02 * i : null,
      sigmaMax: analyzed ? 0.95 + 0.03 * i : null,
      gradNorm: 2.5 * 0.85 ** i,
      maxRelErr: analyzed ? 3.1e-7 * (1 + 0.1 * i) : null,
    };
  });
  const shown = options.shown ?? snapshots[n - 1].step;
  const state = options.replay ?? 'ok';
  const maxRelErr = state === 'mismatch' ? 2.3e-3 : state === 'approximate' ? 4.1e-2 : 3.1e-7;
  r.replay = {
    maxRelErr,
    compared: [
      { name: 'weight_hh_l0', relErr: maxRelErr },
      { name: 'weight_ih_l0', relErr: maxRelErr / 3 },
      { name: 'bias_hh_l0', relErr: maxRelErr / 7 },
      { name: 'h0', relErr: maxRelErr / 11 },
    ],
    tolerance: 1e-5,
    ok: state === 'ok',
    approximate: state === 'approximate' ? 'dropout 0.2 between layers' : null,
    dtype: 'float32',
  };
  r.trace = {
    folder: 'runs/exp1.unroll-trace',
    shown,
    snapshots,
    config: {
      mode: 'LSTM',
      input_size: 1,
      hidden_size: 24,
      num_layers: options.layers ?? 1,
      bias: true,
      batch_first: true,
      dropout: 0,
      bidirectional: options.bidirectional ?? false,
      proj_size: 0,
    },
    worldSize: options.worldSize ?? 2,
    rank: 0,
    ...(options.layer !== undefined ? { layer: options.layer } : {}),
    ...(options.reverse !== undefined ? { reverse: options.reverse } : {}),
  };
  r.meta.dataFile = 'runs/exp1.unroll-trace';
  // A replay knows no per-step loss (PyTorch's loss arrives as output gradients): NaN, null in JSON.
  r.loss = null;
  r.lossPerStep = r.lossPerStep.map(() => null);
  r.model.task = 'trace';
  return r;
}
