// Words for a Result: the panel's headline, the status bar's health line and its tooltip, and the CLI's summary
// share these. Every sentence names the weights it describes, claims about learning come only from a training run's
// measured losses, and the untrained gradient only says what it predicts about the learning signal.
import { CELL_NAMES } from './kinds';
import type { AnalysisResult, NonFinite, TrainingSummary, TrainPoint, WeightsState } from './result';

/**
 * Training verdict thresholds, as the ratio of the final held-out loss (the training loss when nothing is held out)
 * to the baseline's loss (predicting the mean target, or the target frequencies):
 *   learned        ratio ≤ LEARNED_RATIO (0.5): it does at least twice as well as the trivial predictor;
 *   not learned    ratio ≥ NOT_LEARNED_RATIO (0.8): within 20% of the trivial predictor;
 *   partly learned in between.
 * Diverging: the loss stayed finite but grew more than DIVERGING_GROWTH (1e6) times its first epoch's value at some
 * epoch (the training loop records it as TrainingSummary.diverging, with the same threshold). Diverged: the run hit a
 * non-finite value.
 */
export const LEARNED_RATIO = 0.5;
export const NOT_LEARNED_RATIO = 0.8;
export const DIVERGING_GROWTH = 1e6;

/** The gradient counts as growing with distance above this decay slope (log10 per step: ×1.012 per step). */
const GROWING_SLOPE = 0.005;

function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

/** Three significant digits, exponent form for the very small and very large: 0.0123, 1.15, 3.2e+140. */
function sig(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(1);
  return Number(x.toPrecision(3)).toString();
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

/** The lag a bundled example names in its file name ("adding-lag50.csv" → 50), if any. */
export function lagOf(file: string): number | undefined {
  const m = /lag-?(\d+)/i.exec(baseName(file));
  return m ? Number(m[1]) : undefined;
}

/** The farthest distance the flow matrix measured. */
function measuredSpan(r: AnalysisResult): number {
  return r.flow.decay.distance.length;
}

/** "hidden state h_t of layer 0 is not finite at step 12"; training's own checks (the gradient norm, the update) have no step. */
export function describeNonFinite(n: NonFinite): string {
  return n.step >= 0 ? `${n.what} at step ${n.step}` : n.what;
}

/** Where a training run diverged: "epoch 41 (batch 3 of 20, step 17, h_t (layer 0))". */
export function divergencePlace(n: NonFinite): string {
  const parts: string[] = [];
  if (n.batch !== undefined)
    parts.push(n.batches !== undefined ? `batch ${n.batch} of ${n.batches}` : `batch ${n.batch}`);
  if (n.step >= 0) parts.push(`step ${n.step}`);
  parts.push(n.tensor ?? n.what);
  return `${n.epoch !== undefined ? `epoch ${n.epoch} ` : ''}(${parts.join(', ')})`;
}

/**
 * The weights an analysis describes, as the start of a sentence: "At initialization (pytorch init)", "After 30
 * epochs of training", "With the weights in trained.safetensors"; "With these weights" when the Result does not say.
 */
export function weightsPhrase(w: WeightsState | undefined): string {
  if (!w) return 'With these weights';
  if (w.kind === 'initialization') return `At initialization (${w.init} init)`;
  if (w.kind === 'file') {
    return `With the weights in ${baseName(w.path)}${w.trainedEpochs !== undefined ? ` (${plural(w.trainedEpochs, 'epoch')} of Unroll training)` : ''}`;
  }
  const from = w.startedFrom === 'file' ? ' from the weights file' : '';
  if (w.epochs === 0) return `With the weights where training${from} stopped, within its first epoch`;
  return `After ${plural(w.epochs, 'epoch')} of training${from}`;
}

/** A few words for the status bar: "at init", "trained 30 ep", "weights file". */
function weightsShort(w: WeightsState | undefined): string | undefined {
  if (!w) return undefined;
  if (w.kind === 'initialization') return 'at init';
  if (w.kind === 'file') return 'weights file';
  return `trained ${w.epochs} ep`;
}

/** How many steps have a target (a loss term): the flow rows when all were computed, else the steps with a non-zero loss. */
export function targetSteps(r: AnalysisResult): number {
  if (r.model.task === 'seq-to-one') return 1;
  if (r.flow.exact) return r.flow.steps.length;
  let n = 0;
  for (const l of r.lossPerStep) if (l !== 0) n++;
  return n;
}

/**
 * What the analysis's loss L is: "squared error at the last step, the only step with a target" (seq-to-one), or
 * "sum over 50 target steps of the squared error (mean 0.246 per target step)".
 */
export function lossWording(r: AnalysisResult): string {
  const what = r.model.loss === 'xent' ? 'cross-entropy' : 'squared error summed over outputs';
  const n = targetSteps(r);
  if (r.model.task === 'seq-to-one') return `${what} at the last step, the only step with a target`;
  if (n === 1) return `${what} at the one step with a target`;
  return `sum over ${n} target steps of the ${what}; mean ${sig(r.loss / n)} per target step`;
}

/** The loss a verdict compares with the baseline: the held-out loss, or the training loss when nothing is held out. */
function finalLoss(p: TrainPoint): { loss: number; name: string } {
  return p.heldOutLoss !== null && p.heldOutLoss !== undefined
    ? { loss: p.heldOutLoss, name: 'held-out loss' }
    : { loss: p.loss, name: 'training loss (nothing held out)' };
}

export type TrainingVerdictKind =
  'learned' | 'partly learned' | 'not learned' | 'diverged' | 'diverging' | 'nothing yet' | 'not judged';

/** Which verdict a training run earns, by the thresholds above. */
export function trainingVerdictKind(t: TrainingSummary): TrainingVerdictKind {
  if (t.reason === 'nonFinite') return 'diverged';
  const last = t.history[t.history.length - 1];
  if (!last) return 'nothing yet';
  if (growthOf(t)) return 'diverging';
  const { loss } = finalLoss(last);
  if (!Number.isFinite(loss)) return 'diverged';
  // a baseline of loss 0 (constant targets predicted exactly) or none: nothing to measure learning against
  if (!(t.baseline.loss > 0) || !Number.isFinite(t.baseline.loss)) return 'not judged';
  const ratio = loss / t.baseline.loss;
  return ratio <= LEARNED_RATIO ? 'learned' : ratio >= NOT_LEARNED_RATIO ? 'not learned' : 'partly learned';
}

/** How far the training loss grew past DIVERGING_GROWTH× its first epoch's: the run's record, else from the history. */
function growthOf(t: TrainingSummary): { epoch: number; factor: number } | undefined {
  if (t.diverging) return t.diverging;
  const first = t.history[0]?.loss;
  if (!(first > 0)) return undefined;
  let found: { epoch: number; factor: number } | undefined;
  for (const p of t.history) {
    if (p.loss > DIVERGING_GROWTH * first)
      found = { epoch: found?.epoch ?? p.epoch, factor: Math.max(found?.factor ?? 0, p.loss / first) };
  }
  return found;
}

/** Clipping over a training run: "clipped 23 of 600 batches", or undefined when no batch was clipped. */
export function clippedOf(t: TrainingSummary): string | undefined {
  const clipped = t.history.reduce((s, p) => s + p.clipped, 0);
  const batches = t.history.reduce((s, p) => s + (p.batches ?? 0), 0);
  if (clipped === 0) return undefined;
  return `clipped ${clipped} of ${plural(batches, 'batch', 'batches')}`;
}

/**
 * What a training run measured, in one sentence: "Learned: held-out loss 0.012 vs 0.167 for predicting the mean
 * target (mean squared error per target step), after 30 epochs." Only the run's own losses back these words.
 */
export function trainingVerdict(t: TrainingSummary): string {
  const kind = trainingVerdictKind(t);
  const last = t.history[t.history.length - 1];
  const stopped = t.reason === 'cancelled' ? `Stopped after ${plural(t.epochs, 'epoch')}` : undefined;
  if (kind === 'diverged') {
    const n = t.nonFinite;
    const where = n ? ` at ${divergencePlace(n)}` : '';
    const lastFinite = n?.lastFinite
      ? `; the last finite batch (epoch ${n.lastFinite.epoch}, batch ${n.lastFinite.batch}) had loss ${sig(n.lastFinite.loss)} and gradient norm ${sig(n.lastFinite.gradNorm)}`
      : '';
    return `Training diverged${where}: ${n ? n.what : 'a value stopped being finite'}${lastFinite}. Clip the gradient by norm or lower the learning rate.`;
  }
  if (kind === 'nothing yet')
    return `${stopped ?? 'Training ended'} before the first epoch finished: there is no loss yet to judge what was learned.`;
  if (kind === 'diverging') {
    const g = growthOf(t)!;
    const first = t.history[0];
    const since = first
      ? ` since epoch 1 (${sig(first.loss)} → ${sig(last.loss)} ${t.unit} at epoch ${last.epoch})`
      : '';
    return `${stopped ? `${stopped}; diverging` : 'Diverging'}: the training loss grew up to ×${sig(g.factor)}${since}, past ×${sig(DIVERGING_GROWTH)} from epoch ${g.epoch}. Clip the gradient by norm or lower the learning rate.`;
  }
  const { loss, name } = finalLoss(last);
  if (kind === 'not judged') {
    return `${stopped ?? `Trained for ${plural(t.epochs, 'epoch')}`}: ${name} ${sig(loss)} (${t.unit}); ${t.baseline.what} has loss ${sig(t.baseline.loss)}, so there is no trivial predictor to measure learning against.`;
  }
  const verdict = `${kind}: ${name} ${sig(loss)} vs ${sig(t.baseline.loss)} for ${t.baseline.what} (${t.unit})`;
  const after = stopped
    ? `${stopped}; so far ${verdict}`
    : `${verdict[0].toUpperCase()}${verdict.slice(1)}, after ${plural(t.epochs, 'epoch')}`;
  return `${after}.`;
}

/** log10 of the gradient's size at distance d relative to d = 0, or undefined past the span or where it underflowed. */
function relativeAt(r: AnalysisResult, d: number): number | undefined {
  const m = r.flow.decay.meanLog10;
  if (d >= m.length || !Number.isFinite(m[0]) || !Number.isFinite(m[d])) return undefined;
  return m[d] - m[0];
}

/** "1e-9", "0.003": a power of ten the reader can picture. */
function ratioWords(log10: number): string {
  return log10 < -3 ? `1e${Math.round(log10)}` : sig(Math.pow(10, log10));
}

/** What the gradient predicts about the lag the file's name states. */
function lagSentence(r: AnalysisResult, lag: number, initial: boolean): string {
  const named = `the lag-${lag} dependency this file's name states`;
  const span = measuredSpan(r);
  const { horizon } = r.flow.decay;
  if (lag >= span) return ` The ${plural(span, 'step')} measured do not reach ${named}.`;
  if (horizon !== null && horizon <= lag) {
    const rel = relativeAt(r, lag);
    const size = rel === undefined ? `has underflowed to zero` : `is ${ratioWords(rel)} of its size at d = 0`;
    // At initialization this predicts the start of training only: gated cells often open a path as they learn.
    const outlook = initial
      ? `training starts with almost no learning signal for ${named}; train to see whether the ${CELL_NAMES[r.model.cell]} opens a path to it`
      : `little learning signal reaches ${named}`;
    return ` The gradient reaching ${lag} steps back ${size}: ${outlook}.`;
  }
  return ` Enough for a learning signal to reach ${named}.`;
}

/**
 * The headline a person reads first: which weights, how far the gradient reaches, what that predicts for the lag
 * the file's name states, and, after training, what the run measured. E.g. "At initialization (pytorch init), the
 * gradient from step t reaches about 12 steps back before falling below 1/1000 of its size. The gradient reaching
 * 50 steps back is 1e-9 of its size at d = 0: training starts with almost no learning signal for the lag-50 dependency…"
 */
export function summarize(r: AnalysisResult): string {
  const training = r.training ? `${trainingVerdict(r.training)} ` : '';
  return training + gradientSentence(r);
}

function gradientSentence(r: AnalysisResult): string {
  const cell = CELL_NAMES[r.model.cell];
  const weights = weightsPhrase(r.meta.weights);
  const initial = r.meta.weights?.kind === 'initialization';
  if (r.nonFinite) {
    return `${weights}, the ${cell}'s ${describeNonFinite(r.nonFinite)}: the computation overflowed. Clip the gradient by norm, lower the learning rate or the spectral radius of W_hh.`;
  }
  const span = measuredSpan(r);
  if (span < 2)
    return `With a single step the gradient has no distance to travel: analyze a longer sequence to see how far this ${cell} remembers.`;
  const { horizon, slope } = r.flow.decay;
  const lag = lagOf(r.meta.dataFile);
  const cut = r.flow.truncate;
  const cutNote = cut !== null ? ` Truncated BPTT cuts every gradient at ${cut} steps.` : '';
  if (horizon !== null) {
    const then =
      lag !== undefined
        ? lagSentence(r, lag, initial)
        : ' Dependencies longer than that get almost no learning signal.';
    return `${weights}, the gradient from step t reaches about ${plural(horizon, 'step')} back before falling below 1/1000 of its size.${then}${cutNote}`;
  }
  if (!Number.isFinite(slope)) {
    // fewer than two distances with a finite, non-zero gradient: no horizon and no slope can be read
    return `${weights}, the gradient's decay cannot be measured: ‖∂ℓ_t/∂h_k‖ is zero or not finite at most distances (overflowed values, or units saturated so that f′ = 0).${cutNote}`;
  }
  if (slope > GROWING_SLOPE) {
    const s = r.spectral;
    const why =
      r.model.cell === 'rnn'
        ? ` (γσ_max = ${fmt(s.gamma * s.sigmaMax)})`
        : s.stepGain !== null
          ? ` (measured step gain ${fmt(s.stepGain)})`
          : '';
    return `${weights}, the gradient grows as it flows back, about ×${sig(Math.pow(10, slope))} per step over the ${plural(measuredSpan(r) - 1, 'distance')} measured${why}; kept up over longer spans, that growth explodes: clip by norm or lower the spectral radius.${cutNote}`;
  }
  const reach = lag !== undefined ? lagSentence(r, lag, initial) : '';
  return `${weights}, the gradient from step t keeps more than 1/1000 of its size across all ${plural(span, 'step')} measured.${reach}${cutNote}`;
}

/**
 * What ρ and σ_max of the recurrent matrix say, with the reason: for a vanilla RNN the Pascanu et al. conditions
 * against 1/γ; for gated cells that they describe the candidate block only, beside the measured step gain.
 */
export function spectralVerdict(r: AnalysisResult): string {
  const s = r.spectral;
  const inv = 1 / s.gamma;
  const gain = s.stepGain;
  if (r.model.cell !== 'rnn') {
    const block = r.model.cell === 'lstm' ? 'W_hg' : 'W_hn';
    const measured =
      gain === null
        ? 'the step gain needs two steps or more'
        : gain < 1
          ? `the gradient's measured per-step gain is ${fmt(gain)} < 1: it must shrink as it flows back, each step keeping at most ×${fmt(gain)} of it on average over the sequence`
          : `the gradient's measured per-step gain is ${fmt(gain)} ≥ 1: the gated steps allow growth, and the decay slope shows whether it happens`;
    return `ρ and σ_max describe the candidate block ${block} only, not the gated step; ${measured}`;
  }
  if (s.sigmaMax < inv)
    return `long-range gradients must vanish: σ_max < 1/γ makes every step shrink them (Pascanu et al. 2013)`;
  // σ_max ≥ 1/γ: the bound allows growth; the measured gain may still show that on this sequence every step shrinks
  const here =
    gain !== null && gain < 1
      ? `; on this sequence the measured step gain is ${fmt(gain)} < 1, so here they shrink`
      : '';
  if (s.radius > inv) {
    return `long-range gradients can explode: ρ > 1/γ, so W_hh amplifies some direction step after step; f′ < 1 where units saturate can still stop it (see the decay slope)${here}`;
  }
  return `neither vanishing nor exploding is guaranteed: σ_max ≥ 1/γ, so the bound (γσ_max)^d allows growth, but ρ ≤ 1/γ, so no direction of W_hh is amplified step after step to force it${here}`;
}

/** Short status-bar text, e.g. "∇ horizon 12 steps · σmax 0.81 · at init". Gated cells show the measured step gain. */
export function healthLine(r: AnalysisResult): string {
  const s = r.spectral;
  const gauge =
    r.model.cell !== 'rnn' && s.stepGain !== null ? `gain ${fmt(s.stepGain)}/step` : `σmax ${fmt(s.sigmaMax)}`;
  const w = weightsShort(r.meta.weights);
  const tail = `${gauge}${w ? ` · ${w}` : ''}`;
  const trained = r.training ? `${trainingVerdictKind(r.training)} · ` : '';
  if (r.nonFinite)
    return `∇ non-finite${r.nonFinite.step >= 0 ? ` at step ${r.nonFinite.step}` : ''} · ${trained}${tail}`;
  const h = r.flow.decay.horizon;
  if (measuredSpan(r) < 2) return `∇ one step, no distance · ${trained}${tail}`;
  if (h !== null) return `∇ horizon ${plural(h, 'step')} · ${trained}${tail}`;
  const slope = r.flow.decay.slope;
  if (!Number.isFinite(slope)) return `∇ decay not measurable · ${trained}${tail}`;
  if (slope > GROWING_SLOPE) return `∇ exploding ×${sig(Math.pow(10, slope))}/step · ${trained}${tail}`;
  return `∇ no decay over ${measuredSpan(r)} steps · ${trained}${tail}`;
}

/** The status bar's tooltip: the headline, then what the gauge means. */
export function healthTooltip(r: AnalysisResult): string {
  const gated = r.model.cell !== 'rnn' && r.spectral.stepGain !== null;
  const gauge = gated
    ? `gain: the measured per-step gain ‖∂s_t/∂s_{t−1}‖₂ (geometric mean over steps, gates included).`
    : `σmax: the largest singular value of ${r.spectral.matrix}; σmax < 1/γ = ${fmt(1 / r.spectral.gamma)} guarantees vanishing.`;
  return `${summarize(r)}\n\n${gauge}`;
}
