// Trace snapshots built in memory for the reader and replay tests: a random module of any PyTorch shape, its
// snapshot tensors (the recorded gradients from Unroll's own replay unless given), encoded as safetensors with the
// metadata of docs/TRACE-FORMAT.md. Real PyTorch traces are tested in test/trace.
import type { Tensor } from '../../../src/protocol/result';
import { Rng } from '../../../src/engine/rng';
import { replay } from '../../../src/engine/replay';
import {
  directionsOf,
  outputSizeOf,
  recurrentParamShapes,
  type RecurrentConfig,
  type ReplaySnapshot,
} from '../../../src/engine/replayTypes';

export function config(over: Partial<RecurrentConfig> = {}): RecurrentConfig {
  return {
    mode: 'LSTM',
    inputSize: 3,
    hiddenSize: 4,
    numLayers: 1,
    bias: true,
    batchFirst: true,
    dropout: 0,
    bidirectional: false,
    projSize: 0,
    ...over,
  };
}

/** A random snapshot of `c` with S rows and T steps (weights ±0.5, inputs, states and output gradients ±1). */
export function randomSnapshot(c: RecurrentConfig, S = 2, T = 5, seed = 1): ReplaySnapshot {
  const rng = new Rng(seed);
  const fill = (n: number, a = 1) => Float64Array.from({ length: n }, () => rng.range(-a, a));
  const K = c.numLayers * directionsOf(c),
    P = outputSizeOf(c),
    H = c.hiddenSize,
    W = directionsOf(c) * P;
  const lstm = c.mode === 'LSTM';
  const params = new Map<string, Tensor>();
  for (const { name, shape } of recurrentParamShapes(c))
    params.set(name, {
      shape,
      data: fill(
        shape.reduce((a, b) => a * b, 1),
        0.5,
      ),
    });
  return {
    config: c,
    S,
    T,
    input: fill(S * T * c.inputSize),
    h0: fill(K * S * P, 0.5),
    c0: lstm ? fill(K * S * H, 0.5) : null,
    gradOutput: fill(S * T * W),
    gradHn: fill(K * S * P),
    gradCn: lstm ? fill(K * S * H) : null,
    params,
  };
}

/** A safetensors file: tensors in order, F32 or F64, with string metadata. */
export function encodeSafetensors(
  tensors: [string, Tensor][],
  metadata: Record<string, string>,
  dtype: 'F32' | 'F64' = 'F64',
): Uint8Array {
  const item = dtype === 'F64' ? 8 : 4;
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length * item] };
    offset += t.data.length * item;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of tensors) {
    for (const v of t.data) {
      if (dtype === 'F64') view.setFloat64(at, v, true);
      else view.setFloat32(at, v, true);
      at += item;
    }
  }
  return out;
}

export interface SnapshotOptions {
  step?: number;
  dtype?: 'float32' | 'float64';
  h0?: 'given' | 'none';
  approximate?: string;
  /** Replace or drop (undefined) tensors, or metadata entries, before encoding. */
  tensors?: Record<string, Tensor | undefined>;
  metadata?: Record<string, string | undefined>;
  /** Multiply the recorded gradient of this tensor by 1 + this (a replay mismatch). */
  perturb?: { name: string; by: number };
}

const record = (c: RecurrentConfig) =>
  JSON.stringify({
    mode: c.mode,
    input_size: c.inputSize,
    hidden_size: c.hiddenSize,
    num_layers: c.numLayers,
    bias: c.bias,
    batch_first: c.batchFirst,
    dropout: c.dropout,
    bidirectional: c.bidirectional,
    proj_size: c.projSize,
  });

/** The snapshot file of `snap`: the recorded forward and gradients from Unroll's replay (exact for the tests' purposes). */
export function snapshotBytes(snap: ReplaySnapshot, o: SnapshotOptions = {}): Uint8Array {
  const { config: c, S, T } = snap;
  const K = c.numLayers * directionsOf(c),
    P = outputSizeOf(c),
    H = c.hiddenSize,
    W = directionsOf(c) * P;
  const run = replay(snap);
  const t = (shape: number[], data: Float64Array): Tensor => ({ shape, data });
  const list: [string, Tensor][] = [
    ['input', t([S, T, c.inputSize], snap.input)],
    ['h0', t([K, S, P], snap.h0)],
  ];
  if (snap.c0) list.push(['c0', t([K, S, H], snap.c0)]);
  list.push(['output', t([S, T, W], run.output)], ['h_n', t([K, S, P], run.hN)]);
  if (run.cN) list.push(['c_n', t([K, S, H], run.cN)]);
  list.push(['grad_output', t([S, T, W], snap.gradOutput)], ['grad_h_n', t([K, S, P], snap.gradHn)]);
  if (snap.gradCn) list.push(['grad_c_n', t([K, S, H], snap.gradCn)]);
  for (const [name, p] of snap.params) list.push([name, p]);
  for (const [name, g] of run.grads) list.push([`grad.${name}`, { shape: g.shape, data: Float64Array.from(g.data) }]);
  if ((o.h0 ?? 'given') === 'given') {
    list.push(['grad.h0', t([K, S, P], run.gradH0)]);
    if (run.gradC0) list.push(['grad.c0', t([K, S, H], run.gradC0)]);
  }
  if (o.perturb) {
    const hit = list.find(([n]) => n === `grad.${o.perturb!.name}`);
    if (hit) hit[1] = { shape: hit[1].shape, data: hit[1].data.map((v) => v * (1 + o.perturb!.by)) };
  }
  let tensors = list;
  for (const [name, value] of Object.entries(o.tensors ?? {})) {
    tensors = tensors.filter(([n]) => n !== name);
    if (value) tensors.push([name, value]);
  }
  const metadata: Record<string, string | undefined> = {
    format: 'unroll-trace/1',
    config: record(c),
    step: String(o.step ?? 100),
    loss: '1.5',
    dtype: o.dtype ?? 'float64',
    rank: '0',
    world_size: '1',
    time: '2026-12-03T09:40:12Z',
    rows: String(S),
    batch: String(2 * S),
    h0: o.h0 ?? 'given',
    training: 'true',
    approximate: o.approximate ?? '',
    ...o.metadata,
  };
  const clean = Object.fromEntries(Object.entries(metadata).filter((e): e is [string, string] => e[1] !== undefined));
  return encodeSafetensors(tensors, clean, (o.dtype ?? 'float64') === 'float64' ? 'F64' : 'F32');
}

export function indexLine(step: number, loss: number | null = 1.5): string {
  return JSON.stringify({ step, file: `step-${step}.safetensors`, loss, time: '2026-12-03T09:40:12Z', rows: 2 }) + '\n';
}
