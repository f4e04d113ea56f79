// Words for a Result: the panel's headline sentence, the status bar's health line and the CLI's summary share these.
import type { AnalysisResult, NonFinite } from './result';

const CELL_NAMES = { rnn: 'RNN', lstm: 'LSTM', gru: 'GRU' } as const;

function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(digits - 1);
  return x.toFixed(digits);
}

/** The lag a bundled example names in its file name ("adding-lag50.csv" → 50), if any. */
export function lagOf(file: string): number | undefined {
  const m = /lag-?(\d+)/i.exec(file.split(/[\\/]/).pop() ?? '');
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

/**
 * One sentence a person reads first, e.g. "The gradient from step t reaches about 12 steps back before falling
 * below 1/1000 of its size: this RNN cannot learn the lag-50 dependency in this file."
 */
export function summarize(r: AnalysisResult): string {
  const cell = CELL_NAMES[r.model.cell];
  if (r.nonFinite) {
    return `The ${cell}'s ${describeNonFinite(r.nonFinite)}: the computation overflowed. Clip the gradient by norm, lower the learning rate or the spectral radius of W_hh.`;
  }
  if (measuredSpan(r) < 2) return `With a single step the gradient has no distance to travel: analyze a longer sequence to see how far this ${cell} remembers.`;
  const { horizon, slope } = r.flow.decay;
  const lag = lagOf(r.meta.dataFile);
  const cut = r.flow.truncate;
  const cutNote = cut !== null ? ` Truncated BPTT cuts every gradient at ${cut} steps.` : '';
  if (horizon !== null) {
    const verdict =
      lag !== undefined
        ? horizon < lag
          ? `this ${cell} cannot learn the lag-${lag} dependency in this file.`
          : `enough for the lag-${lag} dependency in this file.`
        : `dependencies longer than that get almost no learning signal.`;
    return `The gradient from step t reaches about ${horizon} step${horizon === 1 ? '' : 's'} back before falling below 1/1000 of its size: ${verdict}${cutNote}`;
  }
  const span = measuredSpan(r);
  if (Number.isFinite(slope) && slope > 0.005) {
    return `The gradient grows as it flows back, about ×${fmt(Math.pow(10, slope), 3)} per step (γσ_max = ${fmt(r.spectral.gamma * r.spectral.sigmaMax)}): it explodes over long spans. Clip by norm or lower the spectral radius.${cutNote}`;
  }
  const reach = lag !== undefined && span > lag ? ` This ${cell} can carry the lag-${lag} dependency in this file.` : '';
  return `The gradient keeps more than 1/1000 of its size across all ${span} step${span === 1 ? '' : 's'} measured.${reach}${cutNote}`;
}

/** Short status-bar text, e.g. "∇ horizon 12 steps · σmax 0.81". */
export function healthLine(r: AnalysisResult): string {
  const sigma = `σmax ${fmt(r.spectral.sigmaMax)}`;
  if (r.nonFinite) return `∇ non-finite${r.nonFinite.step >= 0 ? ` at step ${r.nonFinite.step}` : ''} · ${sigma}`;
  const h = r.flow.decay.horizon;
  if (h !== null) return `∇ horizon ${h} step${h === 1 ? '' : 's'} · ${sigma}`;
  const slope = r.flow.decay.slope;
  if (Number.isFinite(slope) && slope > 0.005) return `∇ exploding ×${fmt(Math.pow(10, slope), 3)}/step · ${sigma}`;
  return `∇ no decay over ${measuredSpan(r)} steps · ${sigma}`;
}
