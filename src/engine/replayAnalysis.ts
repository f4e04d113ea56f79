// The analysis of one replayed trace snapshot: the existing Result (∂L/∂h_t, flow matrix, decay, ∂L/∂W_hh by
// distance, ρ, σ_max, step gain) for one layer and direction of the recorded module, on the first recorded row.
//
// The diagnostics are the engine's own (diagnostics.ts), run on a one-layer Network whose buffers are filled from the
// replay: one row, the chosen direction in its own time order (a reverse direction runs from t = T−1 down, so its
// Network step i is time T−1−i), the loss reaching the layer's output as the injection. With proj_size the layer is
// the equivalent LSTM on m_t = o_t ⊙ tanh(c_t) (h_t = W_hr m_t, so W_hh h_{t−1} = (W_hh W_hr) m_{t−1}): its recurrent
// matrix is W_hh·W_hr and the gradients it shows are ∂L/∂m_t = W_hrᵀ ∂L/∂h_t.
import type { AnalysisResult, CellKind, LayerTrace, Mat, ResolvedModel, ResultMeta, Tensor } from '../protocol/result';
import { flowStepBudget, stepGainStepBudget, ALIVE_THRESHOLD, DEFAULT_FLOW_BUDGET } from './analyze';
import { computeFlow, spectralOf, stepGainOf, stepJacobians } from './diagnostics';
import { gemmNT, sumSquares } from './linalg';
import { Network } from './network';
import type { DirectionRun, ReplayRun } from './replay';
import type { RecurrentConfig } from './replayTypes';
import { ENGINE_VERSION } from './version';

export interface ReplayAnalysisOptions {
  /** The layer and direction analyzed (default: the last layer, forward). */
  layer?: number;
  reverse?: boolean;
  flowBudget?: number;
  meta: Omit<ResultMeta, 'elapsedMs' | 'engineVersion' | 'steps'>;
  now?: () => number;
}

export function cellOf(config: RecurrentConfig): CellKind {
  return config.mode === 'LSTM' ? 'lstm' : config.mode === 'GRU' ? 'gru' : 'rnn';
}

/** The Result's model for a recorded module: its shape; the training fields say nothing (PyTorch trained it). */
export function traceModel(config: RecurrentConfig, T: number): ResolvedModel {
  const dirs = config.bidirectional ? 2 : 1;
  return {
    cell: cellOf(config),
    nonlinearity: config.mode === 'RNN_RELU' ? 'relu' : 'tanh',
    inputSize: config.inputSize,
    hidden: config.hiddenSize,
    outputSize: dirs * (config.projSize > 0 ? config.projSize : config.hiddenSize),
    layers: config.numLayers,
    task: 'trace',
    loss: 'mse',
    init: { kind: 'pytorch' },
    bptt: { truncate: null },
    optimizer: { kind: 'sgd', lr: 0 },
    clip: null,
    epochs: 0,
    batch: 1,
    validation: { fraction: 0 },
    window: T,
    seed: 0,
    data: '',
  };
}

/**
 * A one-layer Network holding row 0 of one direction of the replay, ready for the diagnostics: its tape in the
 * direction's step order (see replay.ts) and the gradient reaching the layer's output as the injection.
 */
function networkOf(run: ReplayRun, dir: DirectionRun, gradHn: Float64Array): { net: Network; dH: Float64Array } {
  const { config, S, T, H, P, G } = run;
  const GH = G * H;
  const sfx = `l${dir.layer}${dir.reverse ? '_reverse' : ''}`;
  const params = run.params;
  const whhRecorded = params.get(`weight_hh_${sfx}`)!.data;
  const whr = dir.weights.whr; // P × H, with proj_size
  let whh = whhRecorded;
  if (whr) {
    // W_hh (GH × P) · W_hr (P × H): gemmNT takes the right operand as rows, W_hrᵀ (H × P)
    whh = new Float64Array(GH * H);
    gemmNT(GH, H, P, whhRecorded, 0, dir.weights.whrT!, 0, whh, 0, false);
  }
  const model: ResolvedModel = { ...traceModel(config, T), inputSize: dir.D, layers: 1, outputSize: 1 };
  const zeros = (n: number) => new Float64Array(n);
  const net = new Network(
    model,
    new Map<string, Tensor>([
      ['rnn.weight_ih_l0', { shape: [GH, dir.D], data: params.get(`weight_ih_${sfx}`)!.data }],
      ['rnn.weight_hh_l0', { shape: [GH, H], data: whh }],
      ['rnn.bias_ih_l0', { shape: [GH], data: params.get(`bias_ih_${sfx}`)?.data ?? zeros(GH) }],
      ['rnn.bias_hh_l0', { shape: [GH], data: params.get(`bias_hh_${sfx}`)?.data ?? zeros(GH) }],
      ['fc.weight', { shape: [1, H], data: zeros(H) }],
      ['fc.bias', { shape: [1], data: zeros(1) }],
    ]),
  );
  net.ensure(T, 1);
  net.cellWeights(0).bhh = dir.weights.bhh;
  const lb = net.layers[0];
  const row = (src: Float64Array, width: number, blocks: number, dst: Float64Array, skip = 0) => {
    for (let i = 0; i < blocks; i++) dst.set(src.subarray(i * S * width, i * S * width + width), (i + skip) * width);
  };
  // states: block 0 is the initial state; with proj_size the state is m (block 0: m_{−1} does not exist, h0 need not
  // be W_hr times anything; taken as 0, read only by the ∂(W_hh·W_hr) split's term at the first step)
  if (dir.M) row(dir.M, H, T, lb.Hs, 1);
  else row(dir.Hs, P, T + 1, lb.Hs);
  if (lb.Cs && dir.Cs) row(dir.Cs, H, T + 1, lb.Cs);
  if (lb.acts && dir.acts) row(dir.acts, GH, T, lb.acts);
  if (lb.aux && dir.aux) row(dir.aux, H, T, lb.aux);
  row(dir.pre, GH, T, lb.pre);
  // The loss reaching the layer's output at each step; ∂L/∂h_n arrives after the last step. With proj_size both live
  // in m-space: W_hrᵀ g.
  const toM = (g: Float64Array, gOff: number, into: Float64Array, off: number) => {
    if (!whr) into.set(g.subarray(gOff, gOff + P), off);
    else
      for (let j = 0; j < H; j++) {
        let s = 0;
        for (let p = 0; p < P; p++) s += g[gOff + p] * whr[p * H + j];
        into[off + j] = s;
      }
  };
  const dH = new Float64Array(T * H);
  const last = new Float64Array(H);
  for (let i = 0; i < T; i++) {
    toM(dir.inject, i * S * P, lb.inject, i * H);
    toM(dir.dH, i * S * P, dH, i * H);
  }
  toM(gradHn, 0, last, 0);
  for (let j = 0; j < H; j++) lb.inject[(T - 1) * H + j] += last[j];
  net.prepareDiagnostics();
  return { net, dH };
}

/** Row 0 of one direction as the views' LayerTrace (its step order): h, ∂L/∂h, c, gates. */
function layerTrace(run: ReplayRun, dir: DirectionRun): LayerTrace {
  const { S, T, H, P, G, cell } = run;
  const pick = (src: Float64Array, width: number, skip: number): Mat => {
    const data = new Float64Array(T * width);
    for (let i = 0; i < T; i++)
      data.set(src.subarray((i + skip) * S * width, (i + skip) * S * width + width), i * width);
    return { rows: T, cols: width, data };
  };
  const trace: LayerTrace = { hidden: pick(dir.Hs, P, 1), dLdh: pick(dir.dH, P, 0) };
  if (dir.Cs) trace.cell = pick(dir.Cs, H, 1);
  if (cell.gates.length > 0 && dir.acts) {
    const acts = pick(dir.acts, G * H, 0).data;
    trace.gates = {};
    cell.gates.forEach((g, k) => {
      const data = new Float64Array(T * H);
      for (let i = 0; i < T; i++) data.set(acts.subarray(i * G * H + k * H, i * G * H + (k + 1) * H), i * H);
      trace.gates![g] = { rows: T, cols: H, data };
    });
  }
  return trace;
}

/**
 * The Result of a replay for one layer and direction (default: the last layer, forward), on recorded row 0. Every
 * per-step array is in the direction's step order: step i is time i forward, time T−1−i in a reverse direction, so
 * the flow matrix's row i holds ‖∂ℓ_i/∂h_k‖ for the steps k ≤ i the gradient of ℓ_i travels back through in either.
 * `loss` and `lossPerStep` are NaN: the loss is the user's, known only through the gradients reaching the layer.
 */
export function analyzeReplay(run: ReplayRun, options: ReplayAnalysisOptions): AnalysisResult {
  const now = options.now ?? (() => 0);
  const started = now();
  const { config, S, T } = run;
  const dirs = config.bidirectional ? 2 : 1;
  const layer = options.layer ?? config.numLayers - 1;
  const reverse = options.reverse === true && dirs === 2;
  const k = layer * dirs + (reverse ? 1 : 0);
  const dir = run.runs[k];
  const H = run.H;
  const { net, dH } = networkOf(run, dir, run.gradHn.subarray(k * S * run.P, (k + 1) * S * run.P));
  const shape = { cell: net.kind, hidden: H, layers: 1, inputSize: dir.D, outputSize: 1 };
  const lossSteps: number[] = [];
  for (let i = 0; i < T; i++) {
    let any = false;
    for (let j = 0; j < H && !any; j++) any = net.layers[0].inject[i * H + j] !== 0;
    if (any) lossSteps.push(i);
  }
  const { flow, whhByDistance } = computeFlow(
    net,
    lossSteps,
    null,
    flowStepBudget(shape, T, options.flowBudget ?? DEFAULT_FLOW_BUDGET),
  );
  const { frob, forgetMean } = stepJacobians(net);
  const spectral = spectralOf(net, stepGainOf(net, stepGainStepBudget(shape, T)));
  if (config.projSize > 0)
    spectral.matrix = `(weight_hh_l${layer}${reverse ? '_reverse' : ''}·weight_hr_l${layer}${reverse ? '_reverse' : ''})[g]`;
  else spectral.matrix = spectral.matrix.replace('rnn.weight_hh_l0', `weight_hh_l${layer}${reverse ? '_reverse' : ''}`);

  const grads: Record<string, Tensor> = {};
  const gradNorms: Record<string, number> = {};
  let global2 = 0;
  for (const [name, g] of run.grads) {
    grads[name] = { shape: [...g.shape], data: g.data };
    const s = sumSquares(g.data);
    gradNorms[name] = Math.sqrt(s);
    global2 += s;
  }
  let alive = 0;
  for (let i = 0; i < T; i++) {
    let s = 0;
    for (let j = 0; j < H; j++) s += dH[i * H + j] ** 2;
    if (s > ALIVE_THRESHOLD) alive++;
  }
  // The views read the top-level fields in the direction's step order i (time T−1−i for a reverse direction).
  const lb = net.layers[0];
  const shown: LayerTrace = {
    hidden: { rows: T, cols: H, data: lb.Hs.slice(H, (T + 1) * H) },
    dLdh: { rows: T, cols: H, data: dH },
  };
  if (lb.Cs) shown.cell = { rows: T, cols: H, data: lb.Cs.slice(H, (T + 1) * H) };
  if (lb.acts && net.cell.gates.length > 0) {
    const names = net.cell.gates,
      GH = names.length * H;
    shown.gates = {};
    names.forEach((g, j) => {
      const data = new Float64Array(T * H);
      for (let i = 0; i < T; i++) data.set(lb.acts!.subarray(i * GH + j * H, i * GH + (j + 1) * H), i * H);
      shown.gates![g] = { rows: T, cols: H, data };
    });
  }
  const layers = config.numLayers > 1 ? run.runs.filter((r) => !r.reverse).map((r) => layerTrace(run, r)) : undefined;
  const input: Mat = { rows: T, cols: dir.D, data: new Float64Array(T * dir.D) };
  for (let i = 0; i < T; i++) input.data.set(dir.X.subarray(i * S * dir.D, i * S * dir.D + dir.D), i * dir.D);
  return {
    model: traceModel(config, T),
    loss: NaN,
    lossPerStep: new Float64Array(T).fill(NaN),
    grads,
    dLdh: shown.dLdh,
    hidden: shown.hidden,
    cell: shown.cell,
    gates: shown.gates,
    stepJacobian: frob,
    forgetMean,
    flow,
    whhByDistance,
    spectral,
    gradNorms: { ...gradNorms, global: Math.sqrt(global2) },
    clipped: 0,
    nonFinite: net.nonFinite,
    aliveFraction: T > 0 ? alive / T : 0,
    layers,
    input,
    meta: { ...options.meta, steps: T, elapsedMs: now() - started, engineVersion: ENGINE_VERSION },
  };
}
