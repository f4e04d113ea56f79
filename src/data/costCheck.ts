// The loader's cost gate: the engine's estimate for the shapes just read, against the limits of the settings. A run
// over a limit is refused before anything large is allocated, with the field that drives the cost, where it is
// written, a value that fits and the setting or flag that raises the limit.
import { estimateCost, type CostShape, type CostTerm, type Dataset } from '../engine/index';
import type { EngineSettings } from '../protocol/messages';
import type { ResolvedModel } from '../protocol/result';
import type { Ref } from './dataset';
import { fail, formatBytes } from './errors';

/** Where each knob is set: a field of the model file, or a setting (then the ref is the file analyzed). */
export interface CostRefs {
  window: Ref & { written: boolean };
  hidden: Ref & { written: boolean };
  data: Ref;
}

interface Knobs {
  window: number;
  hidden: number;
  flowBudget: number;
}

/** Steps of the analyzed sequence and of the longest training window, as the dataset holds them. */
function stepsOf(dataset: Dataset): { analyzed: number; longest: number } {
  const { sequences } = dataset;
  let longest = 0;
  for (let i = 0; i < sequences.count; i++) longest = Math.max(longest, sequences.steps(i));
  return { analyzed: sequences.count > 0 ? sequences.steps(0) : 0, longest };
}

const billions = (n: number) =>
  `${n >= 10e9 ? Math.round(n / 1e9).toLocaleString('en-US') : (n / 1e9).toPrecision(2)} billion`;

/** `heldOutBytes`: what a validation file's sequences hold, kept beside the data's while training. */
export function checkCost(
  model: ResolvedModel,
  dataset: Dataset,
  settings: EngineSettings,
  training: boolean,
  refs: CostRefs,
  heldOutBytes = 0,
): void {
  const steps = stepsOf(dataset);
  const batch = Math.min(model.batch, dataset.sequences.count);
  const shapeWith = (k: Knobs): CostShape => ({
    model: { ...model, hidden: k.hidden },
    T: Math.min(steps.analyzed, k.window),
    training: training ? { T: Math.min(steps.longest, k.window), batch } : undefined,
    flowBudget: k.flowBudget,
    datasetBytes: dataset.sequences.bytes + heldOutBytes,
  });
  const limitBytes = settings.maxMemoryMB * 2 ** 20;
  const limitWork = settings.maxWork * 1e9;
  const fits = (k: Knobs) => {
    const c = estimateCost(shapeWith(k));
    return c.bytes <= limitBytes && c.multiplyAdds <= limitWork;
  };
  const now: Knobs = { window: model.window, hidden: model.hidden, flowBudget: settings.flowBudget };
  const cost = estimateCost(shapeWith(now));
  const overMemory = cost.bytes > limitBytes;
  if (!overMemory && cost.multiplyAdds <= limitWork) return;

  const term = overMemory ? cost.memory[0] : cost.work[0];
  const T = Math.min(steps.analyzed, model.window);
  const stepsText = T < model.window ? `"window" ${model.window} (${T} steps here)` : `"window" ${model.window}`;
  const inputs = dataset.vocab ? `vocabulary ${dataset.vocab.length}` : `${model.inputSize} inputs`;
  const outputs = dataset.vocab ? `vocabulary ${dataset.vocab.length}` : `${model.outputSize} outputs`;
  const layers = model.layers > 1 ? ` × ${model.layers} layers` : '';
  const drivers: Record<CostTerm['kind'], string> = {
    inputs: `${stepsText} × ${inputs}${dataset.vocab ? ' (one-hot inputs)' : ''}`,
    outputs: `${stepsText} × ${outputs}`,
    states: `${stepsText} × "hidden" ${model.hidden}${layers} (${model.cell} states kept for BPTT${training ? `, a training batch of ${batch}` : ''})`,
    flow: `the flow matrix over ${stepsText} (flowBudget ${settings.flowBudget})`,
    weights: `"hidden" ${model.hidden} × ${inputs}${layers} (the weights)`,
    dataset: 'the numbers of the data file',
    pass: `${stepsText} × "hidden" ${model.hidden}${layers} (forward, BPTT and the flow matrix)`,
    batch: `a training batch of ${batch} windows: ${stepsText} × "hidden" ${model.hidden}${layers}`,
    spectral: `"hidden" ${model.hidden} (ρ and σ_max of a ${model.hidden}×${model.hidden} matrix)`,
  };
  const needs = overMemory
    ? `about ${formatBytes(cost.bytes)} of memory; the limit is ${formatBytes(limitBytes)}`
    : `about ${billions(cost.multiplyAdds)} multiply-adds; the limit is ${billions(limitWork)}`;
  const raise = overMemory
    ? 'the unroll.maxMemoryMB setting or --max-memory MB'
    : 'the unroll.maxWork setting or --max-work N';
  const change = suggestion(term.knob, now, fits, refs);
  const ref = term.knob === 'window' || term.knob === 'hidden' ? refs[term.knob] : refs.data;
  fail(
    ref.file,
    ref.at,
    `${drivers[term.kind]} needs ${needs}`,
    `${change ?? 'no smaller setting fits'}, or raise the limit with ${raise}`,
  );
}

/** The largest value of a knob that fits, tried first for the one driving the cost, then the others; in words. */
function suggestion(
  first: CostTerm['knob'],
  now: Knobs,
  fits: (k: Knobs) => boolean,
  refs: CostRefs,
): string | undefined {
  const order = [first, 'window', 'hidden', 'flowBudget'].filter(
    (k, i, all): k is keyof Knobs => k !== 'data' && all.indexOf(k) === i,
  );
  for (const knob of order) {
    const at = (v: number) => fits({ ...now, [knob]: v });
    if (knob === 'flowBudget') {
      if (!at(0)) continue;
      let lo = 0,
        hi = now.flowBudget;
      for (let i = 0; i < 40; i++) at((lo + hi) / 2) ? (lo = (lo + hi) / 2) : (hi = (lo + hi) / 2);
      return `lower the flowBudget setting (--flow-budget) to ${lo.toPrecision(2)} or less`;
    }
    if (!at(1)) continue;
    let lo = 1,
      hi = now[knob];
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (at(mid)) lo = mid;
      else hi = mid - 1;
    }
    const { written } = refs[knob];
    if (knob === 'window' && !written)
      return `set "window" to ${lo} or less in a model file (or lower the maxSteps setting, --max-steps)`;
    return `${written ? 'lower' : 'set'} "${knob}" to ${lo} or less`;
  }
  return undefined;
}
