// View 8, for a replayed PyTorch trace (a `*.unroll-trace` folder): the replay's diagnostics across the trace's
// snapshots against the training step (memory horizon, decay slope, ρ and σ_max, the recorded ‖∂L/∂θ‖ and the
// replay's own error against its bound), one chart.js chart with five value axes stacked over one step axis and a
// strip marking every snapshot (filled: analyzed, hollow: not analyzed). A slider (arrow keys on it or on the chart,
// or a click on the chart) picks the snapshot the other views show: the panel posts SelectSnapshot and the extension
// replays that snapshot.
import type { Scale } from 'chart.js';
import type { TraceSnapshot, TraceTimeline } from '../../src/protocol';
import { REPLAY_ERROR_MEANING, sciNumber, snapshotAnalyzed } from '../../src/protocol';
import { range } from '../chart';
import type { Config } from '../charts';
import { axis, baseOptions, decades, logAxis, rule } from '../charts';
import { exact, fmt } from '../format';
import type { ViewContext } from '../model';
import { termBar } from '../terms';
import { ChartView } from './chartView';

const HEIGHT = 700;

type XY = { x: number; y: number | null };

/** Whole decades around the finite positive values (at least one decade). */
function decadeRange(values: (number | null | undefined)[]): [number, number] {
  const logs = values.filter((v): v is number => typeof v === 'number' && v > 0 && Number.isFinite(v)).map(Math.log10);
  const [lo, hi] = range(logs, 0, [-1, 1]);
  const a = Math.floor(lo),
    b = Math.ceil(hi);
  return [a, b > a ? b : a + 1];
}

function logValue(v: number | null): number | null {
  return typeof v === 'number' && v > 0 && Number.isFinite(v) ? v : null;
}

function finite(v: number | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** "step 1200 · loss 1.87", the slider's and the tooltip's name for a snapshot. */
export function snapshotLabel(s: TraceSnapshot): string {
  return `step ${s.step}${s.loss !== null ? ` · loss ${fmt(s.loss)}` : ''}${snapshotAnalyzed(s) ? '' : ' · not analyzed'}`;
}

/** The series, each a value per snapshot (null: a gap), in the order of the chart's datasets. */
const FIELDS: { key: keyof TraceSnapshot; label: string; axis: string; log: boolean }[] = [
  { key: 'horizon', label: 'memory horizon (steps)', axis: 'horizon', log: false },
  { key: 'decaySlope', label: 'decay slope (log10 per step)', axis: 'slope', log: false },
  { key: 'rho', label: 'spectral radius ρ', axis: 'spec', log: false },
  { key: 'sigmaMax', label: 'σ_max', axis: 'spec', log: false },
  { key: 'gradNorm', label: '‖∂L/∂θ‖ as recorded', axis: 'grad', log: true },
  { key: 'maxRelErr', label: 'replay: max relative error', axis: 'err', log: true },
];

export class TimelineView extends ChartView {
  readonly id = 'timeline' as const;
  readonly title = 'Timeline';
  private readonly slider = document.createElement('input');
  private readonly sliderLabel = document.createElement('output');
  /** The snapshot asked for and not yet on screen. */
  private pending: number | undefined;

  constructor(ctx: ViewContext) {
    super(
      ctx,
      'The replayed trace across its snapshots against the training step: memory horizon, decay slope, spectral radius and σ_max, recorded gradient norm and the replay error',
    );
    const box = document.createElement('label');
    box.className = 'control snapshot';
    const caption = document.createElement('span');
    caption.textContent = 'Snapshot';
    this.slider.type = 'range';
    this.slider.className = 'snapshot-slider';
    this.slider.min = '0';
    this.slider.step = '1';
    this.slider.setAttribute('aria-label', 'Snapshot of the trace the other views show');
    this.sliderLabel.className = 'snapshot-label';
    // Dragging names the snapshot under the thumb; letting go (or a key press) asks for it.
    this.slider.addEventListener('input', () => this.showLabel(Number(this.slider.value)));
    this.slider.addEventListener('change', () => this.pick(Number(this.slider.value)));
    box.append(caption, this.slider, this.sliderLabel);
    this.controls.append(
      box,
      termBar([
        ['horizon', ['horizon']],
        ['decay slope', ['slope']],
        ['ρ', ['radius']],
        ['σ_max', ['sigmaMax']],
        ['replay error', REPLAY_ERROR_MEANING],
      ]),
    );
    this.canvas.addEventListener('click', (e) => {
      const i = this.indexAt(e.offsetX);
      if (i !== undefined) this.pick(i);
    });
  }

  private trace(): TraceTimeline | undefined {
    return this.ctx.data.result?.trace;
  }

  private snapshots(): TraceSnapshot[] {
    return this.trace()?.snapshots ?? [];
  }

  private shownIndex(): number {
    const t = this.trace();
    if (!t) return 0;
    const i = t.snapshots.findIndex((s) => s.step === t.shown);
    return i < 0 ? t.snapshots.length - 1 : i;
  }

  protected emptyMessage(): string | undefined {
    const t = this.trace();
    if (!t) return 'The timeline belongs to a replayed PyTorch trace: analyze a *.unroll-trace folder.';
    return t.snapshots.length
      ? undefined
      : `${t.folder} has no complete snapshot yet; the timeline fills as training appends them.`;
  }

  protected layoutHeight(): number {
    return HEIGHT;
  }

  /** The slider and its words, from the Result on screen (and a pick still on its way). */
  private syncSlider(): void {
    const snaps = this.snapshots();
    this.slider.max = String(Math.max(0, snaps.length - 1));
    this.slider.disabled = snaps.length < 2 || !this.ctx.connected;
    const pendingIndex = this.pending === undefined ? -1 : snaps.findIndex((s) => s.step === this.pending);
    // The Result caught up with the pick (or the pick's snapshot is gone): nothing pending any more.
    if (this.pending !== undefined && (this.trace()?.shown === this.pending || pendingIndex < 0))
      this.pending = undefined;
    const i = this.pending === undefined ? this.shownIndex() : pendingIndex;
    this.slider.value = String(i);
    this.showLabel(i);
  }

  private showLabel(i: number): void {
    const s = this.snapshots()[i];
    if (!s) {
      this.sliderLabel.textContent = '';
      return;
    }
    const n = this.snapshots().length;
    const shown = this.trace()?.shown === s.step;
    this.sliderLabel.textContent = `${i + 1} of ${n}: ${snapshotLabel(s)}${shown ? ' (shown)' : this.pending === s.step ? ' (replaying…)' : ''}`;
  }

  /** Ask the extension for snapshot i (nothing when it is already on screen). */
  private pick(i: number): void {
    const snaps = this.snapshots();
    const s = snaps[Math.max(0, Math.min(snaps.length - 1, i))];
    if (!s || !this.ctx.connected) return;
    if (s.step === this.trace()?.shown && this.pending === undefined) {
      this.syncSlider();
      return;
    }
    if (s.step === this.pending) return;
    this.pending = s.step === this.trace()?.shown ? undefined : s.step;
    this.ctx.selectSnapshot(s.step);
    this.syncSlider();
    this.invalidate();
  }

  /** The pick will not be answered with its Result (the replay failed: the panel shows the problems): forget it. */
  cancelPending(): void {
    if (this.pending === undefined) return;
    this.pending = undefined;
    this.invalidate();
  }

  /** The snapshot nearest to canvas x, when x is over the plot. */
  private indexAt(x: number): number | undefined {
    const scale = this.chart?.scales.x;
    const snaps = this.snapshots();
    if (!scale || !snaps.length || x < scale.left || x > scale.right) return undefined;
    const step = scale.getValueForPixel(x) ?? NaN;
    let best = 0;
    snaps.forEach((s, i) => {
      if (Math.abs(s.step - step) < Math.abs(snaps[best].step - step)) best = i;
    });
    return best;
  }

  protected override onKey(e: KeyboardEvent): void {
    const snaps = this.snapshots();
    if (!snaps.length) return;
    const i = this.pending !== undefined ? snaps.findIndex((s) => s.step === this.pending) : this.shownIndex();
    const moves: Record<string, number> = {
      ArrowLeft: i - 1,
      ArrowRight: i + 1,
      Home: 0,
      End: snaps.length - 1,
      PageUp: i - 10,
      PageDown: i + 10,
    };
    if (!(e.key in moves)) return;
    e.preventDefault();
    this.pick(Math.max(0, Math.min(snaps.length - 1, moves[e.key])));
  }

  private bounds(snaps: TraceSnapshot[]) {
    const steps = snaps.map((s) => s.step);
    const lo = Math.min(...steps),
      hi = Math.max(...steps);
    const pad = hi > lo ? (hi - lo) * 0.03 : 1;
    const v = (k: keyof TraceSnapshot) =>
      snaps.map((s) => finite(s[k] as number | null)).filter((x): x is number => x !== null);
    const [, hhi] = range([0, ...v('horizon')], 0.08, [0, 10]);
    const tol = this.ctx.data.result?.replay?.tolerance;
    return {
      x: [lo - pad, hi + pad] as [number, number],
      horizon: [0, Math.max(5, Math.ceil(hhi / 5) * 5)] as [number, number],
      slope: range([0, ...v('decaySlope')], 0.12, [-1, 0.1]),
      spec: range([...v('rho'), ...v('sigmaMax'), 1], 0.08, [0, 2]),
      grad: decadeRange(snaps.map((s) => s.gradNorm)),
      err: decadeRange([...snaps.map((s) => s.maxRelErr), tol ?? null]),
    };
  }

  protected config(): Config {
    const pal = this.ctx.palette;
    const t = this.trace()!;
    const snaps = t.snapshots;
    const b = this.bounds(snaps);
    const replay = this.ctx.data.result?.replay;
    const analyzed = snaps.filter(snapshotAnalyzed).length;
    const world = t.worldSize > 1 ? ` · rank ${t.rank} of ${t.worldSize}` : '';
    const options = baseOptions(
      pal,
      `${t.folder}: ${snaps.length} snapshot${snaps.length === 1 ? '' : 's'}, steps ${snaps[0].step} to ${snaps[snaps.length - 1].step}${world}`,
      `${analyzed} of ${snaps.length} analyzed (hollow marks: not analyzed) · the other views show step ${t.shown} · ${this.ctx.connected ? 'click, drag the slider or use ← → to pick another snapshot' : 'this report holds that snapshot only: analyze the trace in VS Code or with the CLI (--step) for another'}`,
    );
    const tooltip = options.plugins.tooltip.callbacks as Record<string, unknown>;
    tooltip.title = (items: { dataIndex: number }[]) => {
      const s = snaps[items[0]?.dataIndex ?? -1];
      return s ? snapshotLabel(s) : '';
    };
    tooltip.label = (item: { datasetIndex: number; dataIndex: number; dataset: { label?: string } }) => {
      const s = snaps[item.dataIndex];
      if (!s) return undefined;
      const f = FIELDS[item.datasetIndex];
      if (!f) return undefined;
      const value = s[f.key] as number | null;
      if (value === null)
        return f.key === 'horizon' && snapshotAnalyzed(s)
          ? `${f.label}: beyond the distances measured`
          : `${f.label}: not analyzed`;
      return `${f.label}: ${f.key === 'maxRelErr' ? sciNumber(value) : exact(value)}`;
    };
    // A label beside its vertical rule, on the side with room.
    const xRule = (value: number, color: string, label: string, dash: number[], width: number) => {
      const r = rule(pal, { scaleID: 'x', value }, color, label, dash, width);
      const right = (value - b.x[0]) / (b.x[1] - b.x[0]) > 0.75;
      return { ...r, label: { ...r.label, xAdjust: right ? -8 - 3.2 * label.length : 8 + 3.2 * label.length } };
    };
    const annotations: Record<string, unknown> = { shown: xRule(t.shown, pal.focus, `shown: step ${t.shown}`, [], 2) };
    if (this.pending !== undefined)
      annotations.pending = xRule(this.pending, pal.muted, `replaying step ${this.pending}…`, [4, 3], 1.5);
    if (replay)
      annotations.bound = rule(
        pal,
        { scaleID: 'err', value: replay.tolerance },
        pal.warning,
        `bound ${sciNumber(replay.tolerance)} (${replay.dtype})`,
        [5, 3],
      );
    annotations.one = rule(pal, { scaleID: 'spec', value: 1 }, pal.muted, '1', [1, 3]);
    options.plugins.annotation.annotations = annotations;
    const series = (f: (typeof FIELDS)[number]): XY[] =>
      snaps.map((s) => ({
        x: s.step,
        y: f.log ? logValue(s[f.key] as number | null) : finite(s[f.key] as number | null),
      }));
    const colors = [pal.series[0], pal.series[3], pal.series[2], pal.series[1], pal.series[4], pal.foreground];
    const dashes = [[], [], [], [6, 3], [], []];
    const datasets: Record<string, unknown>[] = FIELDS.map((f, i) => ({
      label: f.label,
      data: series(f),
      yAxisID: f.axis,
      borderColor: colors[i],
      backgroundColor: colors[i],
      borderWidth: 2,
      borderDash: dashes[i],
      pointRadius: 2.5,
      spanGaps: true,
    }));
    // The strip: one mark per snapshot, filled when analyzed, hollow (background inside) when not.
    const strip = (want: boolean): XY[] =>
      snaps.map((s) => ({ x: s.step, y: snapshotAnalyzed(s) === want ? 0.5 : null }));
    datasets.push(
      {
        label: 'snapshot, analyzed',
        data: strip(true),
        yAxisID: 'snap',
        showLine: false,
        pointRadius: 5,
        pointHoverRadius: 6,
        borderColor: pal.foreground,
        backgroundColor: pal.foreground,
        pointBorderWidth: 1.5,
      },
      {
        label: 'snapshot, not analyzed',
        data: strip(false),
        yAxisID: 'snap',
        showLine: false,
        pointRadius: 5,
        pointHoverRadius: 6,
        borderColor: pal.foreground,
        backgroundColor: pal.background,
        pointBorderWidth: 1.5,
      },
    );
    // Stacked axes meet where one's bottom tick would print over the next one's top tick: drop the bottom label
    // of every axis but the lowest.
    const dropBottom = (s: Scale) => (s.ticks = s.ticks.filter((k) => k.value > s.min + (s.max - s.min) * 1e-9));
    const stacked = { stack: 'steps', stackWeight: 1, offset: true };
    const ticks = { color: pal.muted, font: { family: pal.font, size: 10 } };
    return {
      type: 'line',
      data: { datasets },
      options: {
        ...options,
        layout: { padding: { right: 16, left: 4 } },
        scales: {
          x: {
            type: 'linear',
            min: b.x[0],
            max: b.x[1],
            offset: false,
            ...axis(pal, 'training step'),
            ticks: { ...ticks, precision: 0 },
          },
          snap: {
            type: 'linear',
            min: 0,
            max: 1,
            ...axis(pal, ''),
            ticks: { display: false },
            grid: { display: false },
            ...stacked,
            stackWeight: 0.3,
          },
          err: {
            ...logAxis(pal, 'replay error', b.err[0], b.err[1]),
            afterBuildTicks: (s: Scale) => (decades(s, 4), dropBottom(s)),
            ...stacked,
          },
          grad: {
            ...logAxis(pal, '‖∂L/∂θ‖', b.grad[0], b.grad[1]),
            afterBuildTicks: (s: Scale) => (decades(s, 4), dropBottom(s)),
            ...stacked,
          },
          spec: {
            type: 'linear',
            min: b.spec[0],
            max: b.spec[1],
            ...axis(pal, 'ρ, σ_max'),
            ticks: { ...ticks, maxTicksLimit: 4 },
            afterBuildTicks: dropBottom,
            ...stacked,
          },
          slope: {
            type: 'linear',
            min: b.slope[0],
            max: b.slope[1],
            ...axis(pal, 'decay slope'),
            ticks: { ...ticks, maxTicksLimit: 4 },
            afterBuildTicks: dropBottom,
            ...stacked,
          },
          horizon: {
            type: 'linear',
            min: b.horizon[0],
            max: b.horizon[1],
            ...axis(pal, 'horizon (steps)'),
            ticks: { ...ticks, precision: 0, maxTicksLimit: 4 },
            afterBuildTicks: dropBottom,
            ...stacked,
          },
        },
      },
    } as unknown as Config;
  }

  protected override draw(width: number): void {
    this.syncSlider();
    super.draw(width);
    // Where each snapshot's mark sits (CSS px), for tests and anyone inspecting the DOM.
    const chart = this.chart!;
    const x = chart.scales.x,
      snap = chart.scales.snap;
    const snaps = this.snapshots();
    this.root.dataset.snapshots = String(snaps.length);
    this.root.dataset.analyzed = String(snaps.filter(snapshotAnalyzed).length);
    this.root.dataset.shown = String(this.trace()?.shown ?? '');
    this.root.dataset.pending = this.pending === undefined ? '' : String(this.pending);
    this.root.dataset.marks = JSON.stringify(
      snaps.map((s) => [
        Math.round(x.getPixelForValue(s.step) * 10) / 10,
        Math.round(snap.getPixelForValue(0.5) * 10) / 10,
      ]),
    );
  }

  override render(): boolean {
    if (!this.trace()) this.pending = undefined;
    return super.render();
  }

  describe(): string {
    const t = this.trace()!;
    const snaps = t.snapshots;
    const done = snaps.filter(snapshotAnalyzed);
    const part = (s: TraceSnapshot) =>
      `step ${s.step}: ${snapshotAnalyzed(s) ? `horizon ${s.horizon === null ? 'beyond the distances measured' : `${s.horizon} steps`}, decay slope ${s.decaySlope === null ? '—' : fmt(s.decaySlope)}, ρ ${s.rho === null ? '—' : fmt(s.rho)}, σ_max ${s.sigmaMax === null ? '—' : fmt(s.sigmaMax)}, ` : 'not analyzed, '}‖∂L/∂θ‖ ${s.gradNorm === null ? '—' : fmt(s.gradNorm)}${s.maxRelErr === null ? '' : `, replay error ${sciNumber(s.maxRelErr)}`}${s.loss === null ? '' : `, loss ${fmt(s.loss)}`}`;
    const listed = snaps.length <= 12 ? snaps : [...snaps.slice(0, 6), ...snaps.slice(-6)];
    return `Trace ${t.folder}: ${snaps.length} snapshots from step ${snaps[0].step} to ${snaps[snaps.length - 1].step}, ${done.length} analyzed; the other views show step ${t.shown}. ${listed.map(part).join('; ')}${listed.length < snaps.length ? ` (${snaps.length - listed.length} more in the JSON export)` : ''}.`;
  }

  numbers(): unknown {
    const t = this.trace();
    return {
      view: 'timeline',
      folder: t?.folder,
      shown: t?.shown,
      rank: t?.rank,
      worldSize: t?.worldSize,
      config: t?.config,
      replay: this.ctx.data.result?.replay,
      snapshots: this.snapshots(),
    };
  }
}
