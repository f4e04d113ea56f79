// The CLI's human summary of one analysis: the numbers the walkthrough teaches to look at, then the headline sentence.
import {
  clippedOf,
  describeNonFinite,
  lossWording,
  spectralVerdict,
  summarize,
  trainingVerdict,
  weightsPhrase,
} from '../protocol/summary';
import { replaySentence } from '../protocol/trace';
import { GLOSSARY, type GlossaryTerm } from '../protocol/glossary';
import { CELL_NAMES } from '../protocol/kinds';
import type { AnalysisResult, NonFinite, TrainingSummary, TrainPoint } from '../protocol/result';

export function formatNumber(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export function describeModel(r: AnalysisResult, file: string): string {
  const m = r.model;
  const cell = m.cell === 'rnn' ? `RNN (${m.nonlinearity})` : CELL_NAMES[m.cell];
  const steps =
    r.meta.originalSteps > r.meta.steps
      ? `${r.meta.steps} of ${r.meta.originalSteps} steps`
      : plural(r.meta.steps, 'step');
  const sequence = r.meta.sequences > 1 ? `, training sequence ${r.meta.sequence + 1} of ${r.meta.sequences}` : '';
  return `${file} · ${m.task} · ${cell}, H=${m.hidden}${m.layers > 1 ? ` × ${m.layers} layers` : ''} · ${steps}${sequence}`;
}

/** The glossary entries of the terms the summary printed, each once, in the order they appeared. */
function termLines(terms: GlossaryTerm[]): string[] {
  const label: Record<GlossaryTerm, string> = {
    gamma: 'γ',
    radius: 'ρ',
    sigmaMax: 'σ_max',
    horizon: 'memory horizon',
    slope: 'decay slope',
    alive: 'alive fraction',
    flowRow: 'flow row',
    stepGain: 'step gain',
    bound: 'bound (γσ_max)^d',
  };
  return [...new Set(terms)].map((t) => `  ${label[t]}: ${GLOSSARY[t]}`);
}

function weightsLine(r: AnalysisResult): string {
  const w = r.meta.weights;
  if (!w) return 'not recorded';
  return weightsPhrase(w).replace(/^\w/, (c) => c.toLowerCase());
}

/** The training run behind these weights: its verdict, loss unit, split, batches and clipping. */
function trainingLines(t: TrainingSummary): string[] {
  const clipped = clippedOf(t);
  const batches = t.history.reduce((s, p) => s + (p.batches ?? 0), 0);
  return [
    `  training        ${trainingVerdict(t)}`,
    `                  ${plural(t.trainSequences, 'training sequence')}, ${plural(t.heldOutSequences, 'held-out sequence')}, batches of ${t.batch}; losses in ${t.unit}${clipped ? `; ${clipped}` : batches > 0 ? `; none of the ${batches} batches clipped` : ''}`,
  ];
}

export function humanSummary(r: AnalysisResult, file: string): string {
  const { decay } = r.flow;
  const s = r.spectral;
  const inverseGamma = 1 / s.gamma;
  const comparison = (x: number) => (x < inverseGamma ? '<' : x > inverseGamma ? '>' : '=');
  const terms: GlossaryTerm[] = [];
  const lines = [
    describeModel(r, file),
    `  weights         ${weightsLine(r)}`,
    `  loss            ${formatNumber(r.loss)} (${lossWording(r)})`,
  ];
  if (decay.distance.length < 2) {
    lines.push(
      `  memory horizon  none to measure: the gradient has no distance to travel in a sequence of ${plural(r.meta.steps, 'step')}`,
    );
    lines.push(`  decay slope     none: a slope needs the gradient at two distances or more`);
  } else {
    terms.push('horizon', 'flowRow', 'slope');
    lines.push(
      `  memory horizon  ${decay.horizon === null && !Number.isFinite(decay.slope) ? 'not measurable: the gradient is zero or not finite at most distances' : decay.horizon === null ? `none within ${decay.distance.length} steps (the gradient never falls below 1/1000)` : `${decay.horizon} steps (‖∂ℓ_t/∂h_k‖ falls below 1/1000 of its value at d = 0)`}`,
    );
    lines.push(
      Number.isFinite(decay.slope)
        ? `  decay slope     ${formatNumber(decay.slope)} log10 per step (×${formatNumber(Math.pow(10, decay.slope))} per step back)${r.flow.exact ? '' : ` (on ${r.flow.steps.length} sampled rows)`}`
        : `  decay slope     not measurable: the gradient is zero or not finite at some distances`,
    );
  }
  if (s.stepGain !== null) {
    terms.push('stepGain');
    const bound = r.model.cell === 'rnn' ? ` ≤ γσ_max = ${formatNumber(s.gamma * s.sigmaMax)} (the bound)` : '';
    const jacobian =
      r.model.cell === 'rnn'
        ? '‖∂h_t/∂h_{t−1}‖₂'
        : r.model.cell === 'lstm'
          ? '‖∂(h_t, c_t)/∂(h_{t−1}, c_{t−1})‖₂, gates included'
          : '‖∂h_t/∂h_{t−1}‖₂, gates included';
    lines.push(
      `  step gain       ${formatNumber(s.stepGain)} per step at most (geometric mean over steps of ${jacobian})${bound}`,
    );
    if (r.model.cell === 'rnn') terms.push('bound');
  }
  terms.push('radius', 'sigmaMax', 'gamma');
  const label = r.model.cell === 'rnn' ? 'W_hh           ' : `${r.model.cell === 'lstm' ? 'W_hg' : 'W_hn'} candidate `;
  lines.push(
    `  ${label} ρ = ${formatNumber(s.radius)} ${comparison(s.radius)} 1/γ = ${formatNumber(inverseGamma)}, σ_max = ${formatNumber(s.sigmaMax)} ${comparison(s.sigmaMax)} 1/γ: ${spectralVerdict(r)}${s.matrix.includes('[') ? ` (${s.matrix})` : ''}`,
  );
  terms.push('alive');
  lines.push(
    `  alive fraction  ${formatNumber(r.aliveFraction)}: ${formatNumber(100 * r.aliveFraction)} % of the steps have ‖∂L/∂h_k‖² > 1e-20`,
  );
  lines.push(
    `  gradient norm   ${formatNumber(r.gradNorms.global)}${r.model.clip ? ` (clipping by ${r.model.clip.norm !== undefined ? `norm ${r.model.clip.norm}` : `value ${r.model.clip.value}`}: ${r.clipped ? 'would fire' : 'would not fire'} on this sequence)` : ''}`,
  );
  if (r.training) lines.push(...trainingLines(r.training));
  if (r.nonFinite) lines.push(`  non-finite      ${describeNonFinite(r.nonFinite)}`);
  if (r.model.bptt.truncate !== null) lines.push(`  truncated BPTT  k = ${r.model.bptt.truncate}`);
  for (const note of r.meta.notes) lines.push(`  note: ${note}`);
  lines.push('', summarize(r), '', 'What the numbers mean:', ...termLines(terms));
  return lines.join('\n') + '\n';
}

/**
 * One epoch: the training loss and the held-out loss (per target step, the unit the final line names), the mean
 * global gradient norm before clipping (and the largest, when it differs), ρ, and how many of the epoch's batches were clipped.
 */
export function progressLine(p: TrainPoint, width: number): string {
  const heldOut = p.heldOutLoss === null ? '' : `  held-out ${formatNumber(p.heldOutLoss)}`;
  const gradMax =
    Number.isFinite(p.gradNormMax) && formatNumber(p.gradNormMax) !== formatNumber(p.gradNorm)
      ? ` (max ${formatNumber(p.gradNormMax)})`
      : '';
  const text = ` epoch ${p.epoch}/${p.epochs}  loss ${formatNumber(p.loss)}${heldOut}  ‖g‖ ${formatNumber(p.gradNorm)}${gradMax}  ρ ${formatNumber(p.radius)}  clipped ${p.clipped}/${p.batches} batches`;
  // The bar only where it fits beside the numbers: a line wider than the terminal wraps, and \r no longer rewrites it.
  const barWidth = Math.min(30, width - text.length - 3);
  if (barWidth < 10) return text.trimStart();
  const filled = Math.round((barWidth * p.epoch) / p.epochs);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${text}`;
}

/** A run's name in a comparison: its label (the cell or the model file's name), else its cell. */
export function runName(r: AnalysisResult): string {
  return r.meta.label ?? r.model.cell;
}

/** One line per run per epoch of a training compare, e.g. "[2/2 exploding-clipped.rnn.unroll.json] epoch 3/20 …". */
export function compareProgressLine(run: number, runs: number, label: string, p: TrainPoint): string {
  const heldOut = p.heldOutLoss !== null ? `  held-out ${formatNumber(p.heldOutLoss)}` : '';
  const clipped = p.clipped ? `  clipped ${p.clipped}/${p.batches}` : '';
  return `[${run + 1}/${runs} ${label}] epoch ${p.epoch}/${p.epochs}  loss ${formatNumber(p.loss)}${heldOut}  ‖g‖ max ${formatNumber(p.gradNormMax)}${clipped}`;
}

/** What the run's loss column says: the held-out loss against the baseline after training, or the loss at initialization. */
function lossCell(r: AnalysisResult): string {
  const t = r.training;
  if (!t) return `${formatNumber(r.loss)} (sum, at init)`;
  if (t.reason === 'nonFinite' && t.history.length === 0) return 'diverged';
  const last = t.history[t.history.length - 1];
  if (!last) return '–';
  const loss = last.heldOutLoss ?? last.loss;
  const which = last.heldOutLoss !== null ? '' : ' (train)';
  const baseline = Number.isFinite(t.baseline.loss) ? ` vs ${formatNumber(t.baseline.loss)}` : '';
  return `${formatNumber(loss)}${which}${baseline}`;
}

function horizonCell(r: AnalysisResult): string {
  const d = r.flow.decay;
  if (d.distance.length < 2) return '–';
  // No finite slope without a horizon: the gradient is zero or overflowed at most distances (the verdict says so).
  if (d.horizon === null && !Number.isFinite(d.slope)) return 'not measurable';
  return d.horizon === null ? `> ${d.distance[d.distance.length - 1]}` : String(d.horizon);
}

function clippedCell(r: AnalysisResult): string {
  const t = r.training;
  if (!t) return r.model.clip ? (r.clipped ? 'fired at init' : '0 at init') : 'off';
  if (!r.model.clip) return 'off';
  const clipped = t.history.reduce((s, p) => s + p.clipped, 0);
  const batches = t.history.reduce((s, p) => s + p.batches, 0);
  return `${clipped}/${batches}`;
}

function stateCell(r: AnalysisResult): string {
  const t = r.training;
  if (!t) return 'at initialization';
  if (t.reason === 'nonFinite') {
    const n = t.nonFinite;
    const where =
      n?.epoch !== undefined
        ? ` in epoch ${n.epoch}${n.batch !== undefined ? `, batch ${n.batch}${n.batches !== undefined ? ` of ${n.batches}` : ''}` : ''}`
        : '';
    return `diverged${where}`;
  }
  const diverging = t.diverging ? `, diverging from epoch ${t.diverging.epoch}` : '';
  return `after ${plural(t.epochs, 'epoch')}${t.reason === 'cancelled' ? ' (stopped)' : ''}${diverging}`;
}

/**
 * The comparison as a table (run, weights, loss, horizon, step gain / σ_max, clipped batches), then one verdict per
 * run: the same sentence the panel's headline uses (what training reached against its baseline, or where it
 * diverged; which weights; how far the gradient reaches).
 */
export function compareTable(results: AnalysisResult[]): string {
  const header = ['run', 'weights', 'loss (held-out vs baseline)', 'horizon', 'step gain / σ_max', 'clipped batches'];
  const rows = results.map((r) => [
    runName(r),
    stateCell(r),
    lossCell(r),
    horizonCell(r),
    `${r.spectral.stepGain === null || r.spectral.stepGain === undefined ? '–' : formatNumber(r.spectral.stepGain)} / ${formatNumber(r.spectral.sigmaMax)}`,
    clippedCell(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''];
  for (const r of results) {
    // The headline sentence: the run's training verdict (against its baseline, or where it diverged) and the gradient.
    out.push(`${runName(r)}: ${summarize(r)}`);
  }
  return out.join('\n') + '\n';
}

/**
 * The loss at the end of training against the baseline that knows the step but not the inputs, in the loss's unit:
 * "held-out loss 0.012 vs 0.167 for predicting the mean target at each step; mean squared error per target step".
 */
export function baselineLine(t: TrainingSummary): string | undefined {
  const last = t.history[t.history.length - 1];
  if (!last) return undefined;
  const heldOut = last.heldOutLoss !== null;
  const loss = heldOut ? last.heldOutLoss! : last.loss;
  const where = heldOut
    ? `held-out loss (${plural(t.heldOutSequences, 'sequence')})`
    : 'training loss (nothing held out)';
  return `${where} ${formatNumber(loss)} vs ${formatNumber(t.baseline.loss)} for ${t.baseline.what}; ${t.unit}`;
}

/** A finite loss that grew past DIVERGING_GROWTH × the first epoch's, in words. */
export function divergingLine(t: TrainingSummary): string | undefined {
  const d = t.diverging;
  if (!d) return undefined;
  return `The loss is diverging: it grew ×${formatNumber(d.factor, 2)} over the first epoch's (past ×1e6 from epoch ${d.epoch}). Lower the learning rate, clip the gradient by norm, or lower the spectral radius of W_hh.`;
}

/** Where training met the first NaN/Inf and the last batch that was still finite. */
export function divergedMessage(n: NonFinite): string {
  const place = n.epoch !== undefined ? `in epoch ${n.epoch}, batch ${n.batch} of ${n.batches}` : 'during training';
  const at = n.step >= 0 ? ` at step ${n.step}` : '';
  const tensor = n.tensor && n.what.endsWith('is not finite') ? `${n.tensor}${at} is not finite` : `${n.what}${at}`;
  const lf = n.lastFinite;
  const last = lf
    ? ` The last finite batch (epoch ${lf.epoch}, batch ${lf.batch}) had loss ${formatNumber(lf.loss)}, ‖g‖ ${formatNumber(lf.gradNorm)} before clipping; after it ρ = ${formatNumber(lf.radius)}, σ_max = ${formatNumber(lf.sigmaMax)}.`
    : ' No batch was finite.';
  return `Training diverged ${place}: ${tensor}.${last} Weights were not saved.`;
}

/**
 * The summary of a replayed PyTorch trace snapshot: what it is (the user's run at step N, with its loss), the replay's
 * self-check, then the gradient-flow lines of humanSummary (its first lines, about Unroll's own model, loss and
 * weights, are replaced).
 */
export function traceSummary(r: AnalysisResult, file: string): string {
  const trace = r.trace!;
  const c = trace.config;
  const shown = trace.snapshots.find((s) => s.step === trace.shown);
  const steps = trace.snapshots.map((s) => s.step);
  const module = `PyTorch ${String(c.mode).replace('RNN_TANH', 'RNN (tanh)').replace('RNN_RELU', 'RNN (relu)')}`;
  const shape = `${c.num_layers} layer${c.num_layers === 1 ? '' : 's'}${c.bidirectional ? ', bidirectional' : ''}, hidden ${c.hidden_size}${Number(c.proj_size) > 0 ? `, proj ${c.proj_size}` : ''}${c.bias ? '' : ', no bias'}`;
  const where =
    steps.length > 1 ? `${steps.length} snapshots, steps ${steps[0]}…${steps[steps.length - 1]}` : '1 snapshot';
  const layers = Number(c.num_layers);
  const layer = trace.layer ?? layers - 1;
  const which =
    layers > 1 || c.bidirectional
      ? ` · layer ${layer}${c.bidirectional ? (trace.reverse ? ', reverse direction' : ', forward direction') : ''}`
      : '';
  const lines = [
    `${file} · ${module} (${shape}) · snapshot at step ${trace.shown} (${where})${which} · ${plural(r.meta.steps, 'step')}, recorded row 1 of ${r.meta.sequences}`,
    `  ${replaySentence(r) ?? 'replay not checked'}`,
    `  PyTorch loss    ${shown?.loss !== null && shown?.loss !== undefined ? `${formatNumber(shown.loss)} at step ${trace.shown} (your run's loss, as the tracer recorded it)` : 'not recorded (the tracer was not given it)'}`,
  ];
  if (trace.worldSize > 1)
    lines.push(
      `  distributed     recorded by rank ${trace.rank} of ${trace.worldSize}; gradients are that rank's own, before DDP averages them`,
    );
  const rest = humanSummary(r, file).split('\n').slice(3);
  return [...lines, ...rest].join('\n');
}
