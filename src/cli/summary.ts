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
