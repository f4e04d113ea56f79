// View 5: where ∂L/∂W_hh comes from. BPTT writes the weight gradient as a sum over temporal distance d;
// the bars are the norms of those parts, the line their cumulative share: how little the long range carries.
import type { AnalysisResult } from '../../src/protocol';
import type { Axis } from '../chart';
import { drawAxes, range } from '../chart';
import { exact, fmt, pct } from '../format';
import type { ViewContext } from '../model';
import { cellName } from '../model';
import type { Painter } from '../paint';
import { CanvasView } from './view';

const M = { left: 64, right: 76, top: 56, bottom: 50, height: 360 };

/** Cumulative share of Σ_d ‖part_d‖ carried by distances 0 … d. */
export function cumulativeShare(parts: ArrayLike<number>): number[] {
  let total = 0;
  for (let d = 0; d < parts.length; d++) if (Number.isFinite(parts[d])) total += parts[d];
  let run = 0;
  return Array.from(parts, (v) => {
    if (Number.isFinite(v)) run += v;
    return total > 0 ? run / total : NaN;
  });
}

/** The distance that splits short from long range: the memory horizon when there is one, else 10. */
function longRange(r: AnalysisResult): number {
  return Math.min(r.flow.decay.horizon ?? 10, Math.max(1, r.whhByDistance.length - 1));
}

export class WhhView extends CanvasView {
  readonly id = 'whh' as const;
  readonly title = 'Where ∂L/∂W_hh comes from';

  constructor(ctx: ViewContext) {
    super(ctx, 'Parts of the recurrent weight gradient by temporal distance');
  }

  protected emptyMessage(): string | undefined {
    const r = this.ctx.data.result;
    if (!r) return 'No analysis yet.';
    return r.whhByDistance.length ? undefined : 'This analysis split no weight gradient by distance.';
  }

  protected layoutHeight(): number {
    return M.height;
  }

  private box(width: number) {
    return { left: M.left, top: M.top, width: Math.max(60, width - M.left - M.right), height: M.height - M.top - M.bottom };
  }

  protected paint(p: Painter): void {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const parts = r.whhByDistance;
    const D = parts.length;
    const logs = Array.from(parts, (v) => Math.log10(v));
    const [lo, hi] = range(logs, 0.05, [-3, 0]);
    const box = this.box(p.width);
    p.clear(pal.background);
    const xa: Axis = { lo: -0.5, hi: D - 0.5, label: 'distance d = t − k of the term', format: (v) => String(v) };
    const ya: Axis = { lo: Math.floor(lo), hi: Math.ceil(hi), label: '‖part_d‖_F (log)', log10: true };
    const f = drawAxes(p, pal, box, xa, ya);
    const barW = Math.max(1, (box.width / D) * 0.8);
    const split = longRange(r);
    logs.forEach((v, d) => {
      if (!Number.isFinite(v)) return;
      const y = f.y(Math.max(v, ya.lo));
      p.rect(f.x(d) - barW / 2, y, barW, box.top + box.height - y, d >= split ? pal.series[1] : pal.series[0]);
    });
    const share = cumulativeShare(parts);
    const yShare = (s: number) => box.top + box.height * (1 - s);
    p.polyline(share.flatMap((s, d) => [f.x(d), Number.isFinite(s) ? yShare(s) : NaN]), pal.foreground, 1.5);
    for (const s of [0, 0.5, 1]) p.text(box.left + box.width + 4, yShare(s), pct(s), { color: pal.muted, baseline: 'middle', size: 10 });
    p.text(box.left + box.width + 58, box.top + box.height / 2, 'cumulative share', { color: pal.muted, align: 'center', baseline: 'middle', size: 10, rotate: 90 });
    p.polyline([f.x(split - 0.5), box.top, f.x(split - 0.5), box.top + box.height], pal.warning, 1, [4, 3]);

    const longShare = 1 - (share[split - 1] ?? 0);
    p.text(M.left, 18, `${cellName(r)}: ‖∂L/∂W_hh‖ split by how far back each term reaches (${r.flow.exact ? 'all rows' : 'over the flow rows computed'}).`, { color: pal.foreground, size: 11 });
    p.text(M.left, 36, `Terms from d ≥ ${split} steps back carry ${pct(longShare)} of Σ_d ‖part_d‖ (bars right of the dashed line); the line is the running share.`, { color: pal.muted, size: 10 });
  }

  protected override hoverText(x: number): string | undefined {
    const r = this.ctx.data.result!;
    const box = this.box(this.canvas.clientWidth);
    const d = Math.round(((x - box.left) / box.width) * r.whhByDistance.length - 0.5);
    if (d < 0 || d >= r.whhByDistance.length) return undefined;
    return `d = ${d} · ‖part_d‖ = ${exact(r.whhByDistance[d])} · cumulative share ${pct(cumulativeShare(r.whhByDistance)[d])}`;
  }

  describe(): string {
    const r = this.ctx.data.result!;
    const parts = r.whhByDistance;
    const split = longRange(r);
    const share = cumulativeShare(parts);
    let top = 0;
    for (let d = 1; d < parts.length; d++) if (parts[d] > parts[top]) top = d;
    return `∂L/∂W_hh split into ${parts.length} parts by distance. The largest part is at d = ${top} (${fmt(parts[top])}); ` +
      `parts from d ≥ ${split} carry ${pct(1 - (share[split - 1] ?? 0))} of the summed part norms.`;
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    return { view: 'whh', whhByDistance: Array.from(r.whhByDistance), cumulativeShare: cumulativeShare(r.whhByDistance) };
  }
}
