// The CLI's human summary of one analysis: the numbers the walkthrough teaches to look at, then the headline sentence.
import { describeNonFinite, summarize } from '../protocol/summary';
import type { AnalysisResult, TrainPoint } from '../protocol/result';

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

export function progressLine(p: TrainPoint, width: number): string {
  const text = ` epoch ${p.epoch}/${p.epochs}  loss ${formatNumber(p.loss)}  ‖g‖ ${formatNumber(p.gradNorm)}  ρ ${formatNumber(p.radius)}${p.clipped ? `  clipped ${p.clipped}` : ''}`;
  const barWidth = Math.max(10, Math.min(30, width - text.length - 3));
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
    const where = n?.epoch !== undefined ? ` in epoch ${n.epoch}${n.batch !== undefined ? `, batch ${n.batch}${n.batches !== undefined ? ` of ${n.batches}` : ''}` : ''}` : '';
    return `diverged${where}`;
  }
  const diverging = t.diverging ? `, diverging from epoch ${t.diverging.epoch}` : '';
  return `after ${plural(t.epochs, 'epoch')}${t.reason === 'cancelled' ? ' (stopped)' : ''}${diverging}`;
}

/** What the training reached against the trivial predictor, in the loss's own unit; empty without training. */
function trainingVerdict(r: AnalysisResult): string {
  const t = r.training;
  const last = t?.history[t.history.length - 1];
  if (!t || !last) return '';
  const loss = last.heldOutLoss ?? last.loss;
  const which = last.heldOutLoss !== null ? `Held-out loss ${formatNumber(loss)} (${t.unit}, ${plural(t.heldOutSequences, 'held-out sequence')})` : `Training loss ${formatNumber(loss)} (${t.unit}; nothing held out)`;
  if (!Number.isFinite(loss) || !Number.isFinite(t.baseline.loss)) return '';
  const verdict = loss < t.baseline.loss ? 'better than' : 'no better than';
  return `${which}, ${verdict} ${t.baseline.what} (${formatNumber(t.baseline.loss)}). `;
}

/**
 * The comparison as a table (run, weights, loss, horizon, step gain / σ_max, clipped batches), then one verdict per
 * run: the same sentence the panel's headline uses, and where a diverged run stopped.
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
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ''];
  for (const r of results) {
    const n = r.training?.nonFinite;
    out.push(`${runName(r)}: ${n ? `training diverged: ${describeNonFinite(n)}; analyzed the last finite weights. ` : trainingVerdict(r)}${summarize(r)}`);
  }
  return out.join('\n') + '\n';
}
