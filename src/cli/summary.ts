// The CLI's human summary of one analysis: the numbers THEORY.md says to look at, then the headline sentence.
import { describeNonFinite, summarize } from '../protocol/summary';
import type { AnalysisResult, NonFinite, TrainingSummary, TrainPoint } from '../protocol/result';

export function formatNumber(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

const CELLS = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;

export function describeModel(r: AnalysisResult, file: string): string {
  const m = r.model;
  const cell = m.cell === 'rnn' ? `RNN (${m.nonlinearity})` : CELLS[m.cell];
  const steps = r.meta.originalSteps > r.meta.steps ? `${r.meta.steps} of ${r.meta.originalSteps} steps` : plural(r.meta.steps, 'step');
  const sequence = r.meta.sequences > 1 ? `, training sequence ${r.meta.sequence + 1} of ${r.meta.sequences}` : '';
  return `${file} · ${m.task} · ${cell}, H=${m.hidden}${m.layers > 1 ? ` × ${m.layers} layers` : ''} · ${steps}${sequence}`;
}

export function humanSummary(r: AnalysisResult, file: string): string {
  const { decay } = r.flow;
  const s = r.spectral;
  const inverseGamma = 1 / s.gamma;
  const comparison = (x: number) => (x < inverseGamma ? '<' : x > inverseGamma ? '>' : '=');
  const verdict = s.sigmaMax < inverseGamma ? 'long-range gradients must vanish' : s.radius > inverseGamma ? 'long-range gradients can explode' : 'neither vanishing nor exploding is guaranteed';
  const maskedSteps = r.lossPerStep.length;
  const lines = [
    describeModel(r, file),
    `  loss            ${formatNumber(r.loss)} (sum over ${plural(maskedSteps, 'step')})`,
    decay.distance.length < 2
      ? `  memory horizon  none to measure: the gradient has no distance to travel in a sequence of ${plural(r.meta.steps, 'step')}`
      : `  memory horizon  ${decay.horizon === null ? `none within ${decay.distance.length} steps (the gradient never falls below 1/1000)` : `${decay.horizon} steps (‖∂ℓ_t/∂h_k‖ falls below 1/1000 of its value at d = 0)`}`,
    decay.distance.length < 2
      ? `  decay slope     none: a slope needs the gradient at two distances or more`
      : Number.isFinite(decay.slope)
        ? `  decay slope     ${formatNumber(decay.slope)} log10 per step${r.flow.exact ? '' : ` (on ${r.flow.steps.length} sampled rows)`}`
        : `  decay slope     not measurable: the gradient is zero or not finite at some distances`,
    `  W_hh            ρ = ${formatNumber(s.radius)} ${comparison(s.radius)} 1/γ = ${formatNumber(inverseGamma)}, σ_max = ${formatNumber(s.sigmaMax)} ${comparison(s.sigmaMax)} 1/γ: ${verdict}${s.matrix.includes('[') ? ` (${s.matrix})` : ''}`,
    `  alive fraction  ${formatNumber(r.aliveFraction)} of steps have ‖∂L/∂h_k‖² > 1e-20`,
    `  gradient norm   ${formatNumber(r.gradNorms.global)}${r.model.clip ? ` (clipping by ${r.model.clip.norm !== undefined ? `norm ${r.model.clip.norm}` : `value ${r.model.clip.value}`}: ${r.clipped ? 'fired' : 'did not fire'})` : ''}`,
  ];
  if (r.nonFinite) lines.push(`  non-finite      ${describeNonFinite(r.nonFinite)}`);
  if (r.model.bptt.truncate !== null) lines.push(`  truncated BPTT  k = ${r.model.bptt.truncate}`);
  for (const note of r.meta.notes) lines.push(`  note: ${note}`);
  lines.push('', summarize(r));
  return lines.join('\n') + '\n';
}

/**
 * One epoch: the training loss and the held-out loss (per target step, the unit the final line names), the mean
 * global gradient norm before clipping (and the largest, when it differs), ρ, and how many of the epoch's batches were clipped.
 */
export function progressLine(p: TrainPoint, width: number): string {
  const heldOut = p.heldOutLoss === null ? '' : `  held-out ${formatNumber(p.heldOutLoss)}`;
  const gradMax = Number.isFinite(p.gradNormMax) && formatNumber(p.gradNormMax) !== formatNumber(p.gradNorm) ? ` (max ${formatNumber(p.gradNormMax)})` : '';
  const text = ` epoch ${p.epoch}/${p.epochs}  loss ${formatNumber(p.loss)}${heldOut}  ‖g‖ ${formatNumber(p.gradNorm)}${gradMax}  ρ ${formatNumber(p.radius)}  clipped ${p.clipped}/${p.batches} batches`;
  // The bar only where it fits beside the numbers: a line wider than the terminal wraps, and \r no longer rewrites it.
  const barWidth = Math.min(30, width - text.length - 3);
  if (barWidth < 10) return text.trimStart();
  const filled = Math.round((barWidth * p.epoch) / p.epochs);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${text}`;
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
  const where = heldOut ? `held-out loss (${plural(t.heldOutSequences, 'sequence')})` : 'training loss (nothing held out)';
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
