// Words for a trace replay (a `*.unroll-trace` snapshot, docs/TRACE-FORMAT.md): the panel's replay line and its
// hover, the status bar and the CLI share them, so a mismatch reads the same everywhere and is never left out.
import type { AnalysisResult, ReplayCheck, TraceSnapshot } from './result';

/** A trace folder's append-only index (docs/TRACE-FORMAT.md); which folders are traces is src/data/kinds.ts. */
export const TRACE_INDEX_FILE = 'index.jsonl';

/**
 * What to ask for when the timeline picks the snapshot at `step`: the last snapshot is 'latest' (so snapshots
 * appended later are followed), any other is pinned by its step.
 */
export function snapshotRequest(
  trace: { snapshots: readonly { step: number }[] } | undefined,
  step: number,
): number | 'latest' {
  const last = trace?.snapshots[trace.snapshots.length - 1];
  return last !== undefined && last.step === step ? 'latest' : step;
}

/** How a replay went: matched PyTorch within the dtype's bound, missed it, or could only approximate the run. */
export type ReplayState = 'ok' | 'mismatch' | 'approximate';

export function replayState(c: ReplayCheck): ReplayState {
  if (c.approximate) return 'approximate';
  if (c.forward && !c.forward.ok) return 'mismatch';
  return c.ok && Number.isFinite(c.maxRelErr) && c.maxRelErr <= c.tolerance ? 'ok' : 'mismatch';
}

/** An error or a bound the way numerical people write it: 3.1e-07, 1e-05, 0 (two significant digits). */
export function sciNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const [mantissa, exponent] = x.toExponential(1).split('e');
  const e = Number(exponent);
  const m = mantissa.replace(/\.0$/, '');
  return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** "PyTorch step 1200 (rank 0 of 2)"; the rank only when the run was distributed. */
export function snapshotName(r: AnalysisResult): string {
  const t = r.trace;
  if (!t) return 'a PyTorch snapshot';
  return `PyTorch step ${t.shown}${t.worldSize > 1 ? ` (rank ${t.rank} of ${t.worldSize})` : ''}`;
}

/**
 * The replay line: "Replay of PyTorch step 1200 (rank 0 of 2): gradients match PyTorch to 3.1e-07 (float32, bound
 * 1e-05)". A mismatch and an approximate replay say so in words (they start with "⚠"). Undefined without a replay.
 */
export function replaySentence(r: AnalysisResult): string | undefined {
  const c = r.replay;
  if (!c) return undefined;
  const what = `Replay of ${snapshotName(r)}`;
  const err = sciNumber(c.maxRelErr);
  const worst = c.compared[0]?.name;
  const bound = `${c.dtype}, bound ${sciNumber(c.tolerance)}`;
  switch (replayState(c)) {
    case 'ok':
      return `${what}: gradients match PyTorch to ${err} (${bound})`;
    case 'approximate':
      return `⚠ ${what} is approximate (${c.approximate}): gradients within ${err} of PyTorch${worst ? `, worst ${worst}` : ''} (${c.dtype}; the exact bound ${sciNumber(c.tolerance)} does not apply)`;
    case 'mismatch': {
      const f = c.forward && !c.forward.ok ? c.forward.compared[0] : undefined;
      if (f)
        return `⚠ ${what}: the replayed forward pass does NOT match PyTorch's: relative error ${sciNumber(f.relErr)} in ${f.name} (${bound})`;
      return `⚠ ${what}: gradients do NOT match PyTorch: relative error ${err}${worst ? ` in ${worst}` : ''} (${bound})`;
    }
  }
}

/** What the replay error is, for a hover next to the word (the timeline's "replay error"). */
export const REPLAY_ERROR_MEANING =
  'The replay error of a PyTorch trace snapshot: Unroll recomputes the layer’s parameter gradients and ∂L/∂h0 from the ' +
  'recorded input, initial state, weights and output gradients, and compares them with the ones PyTorch recorded, as ' +
  'the largest ‖replayed − recorded‖∞ / ‖recorded‖∞ over the tensors. Within 1e-05 (float32) or 1e-10 (float64) the ' +
  'replay reproduces the run; above it, or when dropout between layers makes it approximate, the panel flags it.';

/** How the replay computed, when the Result says: float32 products for a float32 run, float64 otherwise. */
function products(c: ReplayCheck): string {
  if (c.products === 'float32')
    return ', and the replay ran its matrix products in float32 as PyTorch did (the rest in float64)';
  if (c.products === 'float64' && c.dtype === 'float32') return ', and the replay ran in float64';
  return '';
}

/** What the replay compared and what a flag means: the hover of the replay line and the CLI's detail. */
export function replayExplanation(r: AnalysisResult): string {
  const c = r.replay;
  if (!c) return '';
  const list = c.compared.map((x) => `${x.name} ${sciNumber(x.relErr)}`).join(', ');
  const state = replayState(c);
  const meaning =
    state === 'ok'
      ? 'The views below are this run’s own gradient flow.'
      : state === 'approximate'
        ? `This replay can only approximate the run (${c.approximate}): read the views below as an approximation of what PyTorch computed.`
        : 'The replay does not reproduce this run (a module or an option the tracer does not understand, or a damaged trace): the views below show Unroll’s replay, not what PyTorch computed.';
  return (
    'Unroll re-ran the recorded layer from its input, initial state, weights and the gradients arriving at its outputs, ' +
    'and compared the parameter gradients and ∂L/∂h0 it got with the ones PyTorch’s autograd recorded: per tensor ' +
    `‖replayed − recorded‖∞ / ‖recorded‖∞. ${list ? `Per tensor, worst first: ${list}.` : 'Nothing was compared.'} ` +
    `The bound is 1e-05 for float32 runs and 1e-10 for float64; this run recorded ${c.dtype}${products(c)}. ${meaning}`
  );
}

/** A snapshot with any replayed diagnostic; the others are drawn as "not analyzed". */
export function snapshotAnalyzed(s: TraceSnapshot): boolean {
  return s.horizon !== null || s.decaySlope !== null || s.rho !== null || s.sigmaMax !== null || s.maxRelErr !== null;
}

/** The status bar's words for a replay, after the health line: "step 1200 · replay ✓ 3.1e-07", "step 1200 · replay MISMATCH 2.3e-03", "step 1200 · replay approximate". */
export function replayShort(r: AnalysisResult): string | undefined {
  const c = r.replay;
  if (!c) return undefined;
  const step = r.trace ? `step ${r.trace.shown} · ` : '';
  const state = replayState(c);
  if (state === 'ok') return `${step}replay ✓ ${sciNumber(c.maxRelErr)}`;
  if (state === 'approximate') return `${step}replay approximate`;
  return `${step}replay MISMATCH ${sciNumber(c.maxRelErr)}`;
}
