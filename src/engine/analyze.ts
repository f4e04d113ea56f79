// One analysis: forward + BPTT on one sequence, then every diagnostic the views draw (src/protocol/result.ts).
// What an analysis may reuse from the last one (its network's buffers, ρ/σ_max of unchanged weights) lives in an
// AnalysisCache the caller passes: the engine keeps no state between calls.
import type { AnalysisResult, LayerTrace, Mat, ResolvedModel, ResultMeta, Tensor } from '../protocol/result';
import type { ParamSet, SequenceData } from './types';
import { Network, type LayerBuffers } from './network';
import { computeFlow, spectralOf, stepGainOf, stepGainWorkPerStep, stepJacobians } from './diagnostics';
import { AnalysisCache } from './cache';
import { cellOf } from './cells';
import { ENGINE_VERSION } from './version';

export { AnalysisCache };

export interface AnalyzeOptions {
  /**
   * Work budget of the flow matrix, as a multiple of the multiply-adds of the forward + backward pass it explains
   * (1: the flow may cost as much again), but never below FLOW_FLOOR. Every row is computed when all of them fit;
   * otherwise an evenly spaced subset that fits. Default 1.
   */
  flowBudget?: number;
  /** Filled into result.meta (the engine adds steps, elapsedMs and engineVersion). */
  meta: Omit<ResultMeta, 'elapsedMs' | 'engineVersion' | 'steps'>;
  /** A clock for elapsedMs (the engine has no timer of its own). */
  now?: () => number;
  /**
   * Reuse across analyses (one per worker thread or process): the network's buffers for the same shapes, ρ and σ_max
   * for a bit-identical W_hh. Absent: nothing is reused.
   */
  cache?: AnalysisCache;
}

export const DEFAULT_FLOW_BUDGET = 1;
/** What the work of a pass depends on. */
export type ModelShape = Pick<ResolvedModel, 'cell' | 'hidden' | 'layers' | 'inputSize' | 'outputSize'>;
/** Multiply-adds the flow matrix may always spend (a few milliseconds), however cheap the pass: most small models get every row. */
export const FLOW_FLOOR = 2 ** 24;

/**
 * Multiply-adds of forward + full BPTT on one sequence of T steps: per layer and step, forward G·H·(D+H), backward
 * G·H·(2H+D) (∂h_{t−1}, ∂W_hh, ∂W_ih) plus G·H·D for ∂x below the top layer; the output layer O·H forward and 2·O·H
 * backward.
 */
export function passMultiplyAdds(model: ModelShape, T: number): number {
  const G = cellOf(model.cell).G;
  const H = model.hidden,
    O = model.outputSize;
  let perStep = 3 * O * H;
  for (let l = 0; l < model.layers; l++) {
    const D = l === 0 ? model.inputSize : H;
    perStep += G * H * (D + H) + G * H * (2 * H + D) + (l > 0 ? G * H * D : 0);
  }
  return perStep * T;
}

/** The flow budget in step-Jacobian products of the top layer (G·H² multiply-adds each), as chooseFlowRows counts. */
export function flowStepBudget(model: ModelShape, T: number, budget: number): number {
  const G = cellOf(model.cell).G;
  const work = Math.max(FLOW_FLOOR, budget * passMultiplyAdds(model, T));
  return Math.max(1, Math.floor(work / (G * model.hidden * model.hidden)));
}

/**
 * The measured step gain may spend this share of the multiply-adds of one forward + backward pass (never less than
 * the share of FLOW_FLOOR). Its products have few rows (one per step measured) and run at about half the pass's
 * speed, so a quarter keeps its time under half the pass's (H = 128, T = 256: 10–12 of 255 steps).
 */
export const STEP_GAIN_SHARE = 0.25;

/** Steps whose full step Jacobian the measured step gain may take, evenly spaced when not all of them fit. */
export function stepGainStepBudget(model: ModelShape, T: number): number {
  const work = STEP_GAIN_SHARE * Math.max(FLOW_FLOOR, passMultiplyAdds(model, T));
  return Math.max(1, Math.floor(work / stepGainWorkPerStep(model.cell, model.hidden)));
}

/** Pascanu et al. 2013 count a step as carrying gradient when ‖∂L/∂h_k‖² exceeds this. */
export const ALIVE_THRESHOLD = 1e-20;

/**
 * Forward + BPTT (full or truncated per model.bptt) on one sequence with every diagnostic of the Result.
 * `grads` are the exact ∂L/∂θ (before any clipping); `clipped` says whether the model's clipping would fire.
 */
export function analyze(
  model: ResolvedModel,
  params: ParamSet,
  seq: SequenceData,
  options: AnalyzeOptions,
): AnalysisResult {
  const now = options.now ?? (() => 0);
  const started = now();
  const net = options.cache ? options.cache.networkFor(model, params) : new Network(model, params);
  const loss = net.forward([seq]);
  const truncate = model.bptt.truncate;
  net.backward(truncate);
  const T = seq.T;
  const H = model.hidden;
  const top = net.layers[net.L - 1];

  const lossSteps: number[] = [];
  for (let t = 0; t < T; t++) if (seq.mask[t]) lossSteps.push(t);
  const steps = flowStepBudget(model, T, options.flowBudget ?? DEFAULT_FLOW_BUDGET);
  const { flow, whhByDistance } = computeFlow(net, lossSteps, truncate, steps);
  const { frob, forgetMean } = stepJacobians(net);

  const grads: Record<string, Tensor> = {};
  const gradNorms: Record<string, number> = {};
  let global2 = 0;
  let maxAbs = 0;
  for (const [name, g] of net.grads) {
    const data = g.data.slice(); // the network's buffers serve the next analysis
    grads[name] = { shape: [...g.shape], data };
    let s = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      s += v * v;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    gradNorms[name] = Math.sqrt(s);
    global2 += s;
  }
  const global = Math.sqrt(global2);
  const clip = model.clip;
  const clipped =
    clip?.norm !== undefined
      ? global > clip.norm
        ? 1
        : 0
      : clip?.value !== undefined
        ? maxAbs > clip.value
          ? 1
          : 0
        : 0;

  let alive = 0;
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let i = 0; i < H; i++) s += top.dH[t * H + i] ** 2;
    if (s > ALIVE_THRESHOLD) alive++;
  }

  const layers: LayerTrace[] = net.layers.map((lb) => trace(model, lb, T, H));
  const { input, target } = sequenceMats(model, seq);
  const last = layers[layers.length - 1];
  return {
    model,
    loss,
    lossPerStep: Float64Array.from(net.lossPerStep),
    grads,
    dLdh: last.dLdh,
    hidden: last.hidden,
    cell: last.cell,
    gates: last.gates,
    stepJacobian: frob,
    forgetMean,
    flow,
    whhByDistance,
    spectral: spectralOf(net, stepGainOf(net, stepGainStepBudget(model, T)), options.cache),
    gradNorms: { ...gradNorms, global },
    clipped,
    nonFinite: net.nonFinite,
    aliveFraction: T > 0 ? alive / T : 0,
    layers: model.layers > 1 ? layers : undefined,
    input,
    target,
    meta: { ...options.meta, steps: T, elapsedMs: now() - started, engineVersion: ENGINE_VERSION },
  };
}

/** The analyzed sequence as [T][D] inputs and [T][O] targets ([T][1] class indices for cross-entropy), NaN where a step has no target. */
function sequenceMats(model: ResolvedModel, seq: SequenceData): { input: Mat; target: Mat } {
  const T = seq.T;
  const D = model.inputSize;
  const O = model.loss === 'xent' ? 1 : model.outputSize;
  const input: Mat = { rows: T, cols: D, data: seq.inputs.slice(0, T * D) };
  const target: Mat = { rows: T, cols: O, data: new Float64Array(T * O).fill(NaN) };
  for (let t = 0; t < T; t++)
    if (seq.mask[t]) for (let j = 0; j < O; j++) target.data[t * O + j] = seq.targets[t * O + j];
  return { input, target };
}

function mat(rows: number, cols: number, src: Float64Array, off: number): Mat {
  return { rows, cols, data: src.slice(off, off + rows * cols) };
}

function trace(model: ResolvedModel, lb: LayerBuffers, T: number, H: number): LayerTrace {
  const out: LayerTrace = { hidden: mat(T, H, lb.Hs, H), dLdh: mat(T, H, lb.dH, 0) };
  if (lb.Cs) out.cell = mat(T, H, lb.Cs, H);
  const names = cellOf(model.cell).gates;
  if (names.length > 0 && lb.acts) {
    const GH = names.length * H;
    out.gates = {};
    names.forEach((g, k) => {
      const data = new Float64Array(T * H);
      for (let t = 0; t < T; t++) data.set(lb.acts!.subarray(t * GH + k * H, t * GH + (k + 1) * H), t * H);
      out.gates![g] = { rows: T, cols: H, data };
    });
  }
  return out;
}
