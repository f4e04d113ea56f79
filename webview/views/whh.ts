// View 5: where ∂L/∂W_hh comes from. BPTT writes the weight gradient as a sum over temporal distance d;
// the bars are the norms of those parts, the line their cumulative share: how little the long range carries.
import type { AnalysisResult } from '../../src/protocol';
import type { Scale } from 'chart.js';
import { range } from '../chart';
import type { Config } from '../charts';
import { axis, baseOptions, logAxis, rule } from '../charts';
import { exact, fmt, pct } from '../format';
import type { ViewContext } from '../model';
import { cellName } from '../model';
import { ChartView } from './chartView';

const HEIGHT = 380;

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

export class WhhView extends ChartView {
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
    return HEIGHT;
  }

  protected config(): Config {
    const r = this.ctx.data.result!;
    const pal = this.ctx.palette;
    const parts = Array.from(r.whhByDistance);
    const D = parts.length;
    const logs = parts.map((v) => Math.log10(v));
    const [lo, hi] = range(logs, 0.05, [-3, 0]);
    const split = longRange(r);
    const share = cumulativeShare(parts);
    const longShare = 1 - (share[split - 1] ?? 0);
    const options = baseOptions(
      pal,
      `${cellName(r)}: ‖∂L/∂W_hh‖ split by how far back each term reaches (${r.flow.exact ? 'all rows' : 'over the flow rows computed'}).`,
      `Terms from d ≥ ${split} steps back carry ${pct(longShare)} of Σ_d ‖part_d‖ (bars right of the dashed line); the line is the running share.`,
    );
    options.plugins.annotation.annotations = {
      split: rule(pal, { scaleID: 'x', value: split - 0.5 }, pal.warning, `d ≥ ${split}`),
    };
    options.plugins.tooltip.callbacks = {
      title: (items: { parsed: { x: number } }[]) => `d = ${items[0]?.parsed.x}`,
      label: (item: { datasetIndex: number; dataIndex: number }) =>
        item.datasetIndex === 0
          ? `‖part_d‖ = ${exact(parts[item.dataIndex])}`
          : `cumulative share ${pct(share[item.dataIndex])}`,
    } as unknown as typeof options.plugins.tooltip.callbacks;
    const shareTicks = (s: Scale) => (s.ticks = [0, 0.5, 1].map((value) => ({ value })));
    return {
      type: 'bar',
      data: {
        datasets: [
          {
            label: `‖part_d‖_F (d < ${split} blue, d ≥ ${split} red)`,
            data: parts.map((v, d) => ({ x: d, y: v > 0 ? v : NaN })),
            backgroundColor: parts.map((_, d) => (d >= split ? pal.series[1] : pal.series[0])),
            borderColor: parts.map((_, d) => (d >= split ? pal.series[1] : pal.series[0])),
            barPercentage: 0.8,
            categoryPercentage: 1,
            yAxisID: 'y',
            order: 2,
          },
          {
            type: 'line',
            label: 'cumulative share (right axis)',
            data: share.map((v, d) => ({ x: d, y: v })),
            borderColor: pal.foreground,
            backgroundColor: pal.foreground,
            borderWidth: 1.5,
            pointRadius: 0,
            yAxisID: 'share',
            order: 1,
          },
        ],
      },
      options: {
        ...options,
        layout: { padding: { right: 8, left: 4 } },
        scales: {
          x: {
            type: 'linear',
            min: -0.5,
            max: D - 0.5,
            offset: false,
            ...axis(pal, 'distance d = t − k of the term'),
            ticks: { color: pal.muted, font: { family: pal.font, size: 10 }, precision: 0, includeBounds: false },
            grid: { display: false },
          },
          y: logAxis(pal, '‖part_d‖_F (log)', Math.floor(lo), Math.ceil(hi)),
          share: {
            type: 'linear',
            position: 'right',
            min: 0,
            max: 1,
            afterBuildTicks: shareTicks,
            ...axis(pal, 'cumulative share'),
            ticks: {
              color: pal.muted,
              font: { family: pal.font, size: 10 },
              callback: (v: number | string) => pct(Number(v)),
            },
            grid: { display: false },
          },
        },
      },
    } as Config;
  }

  describe(): string {
    const r = this.ctx.data.result!;
    const parts = r.whhByDistance;
    const split = longRange(r);
    const share = cumulativeShare(parts);
    let top = 0;
    for (let d = 1; d < parts.length; d++) if (parts[d] > parts[top]) top = d;
    return (
      `∂L/∂W_hh split into ${parts.length} parts by distance. The largest part is at d = ${top} (${fmt(parts[top])}); ` +
      `parts from d ≥ ${split} carry ${pct(1 - (share[split - 1] ?? 0))} of the summed part norms.`
    );
  }

  numbers(): unknown {
    const r = this.ctx.data.result!;
    return {
      view: 'whh',
      whhByDistance: Array.from(r.whhByDistance),
      cumulativeShare: cumulativeShare(r.whhByDistance),
    };
  }
}
