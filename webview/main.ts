// The panel: builds the whole UI under document.body, receives Results from the extension (or reads the ones
// embedded in a standalone report), keeps the user's view settings with setState, and exports what it shows.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import './style.css';
import type { AnalysisResult, GlossaryTerm, ToWebview, WebviewCommandName } from '../src/protocol';
import {
  describeNonFinite,
  FromWebviewType,
  replayExplanation,
  replaySentence,
  replayState,
  resultToJson,
  reviveResult,
  summarize,
  ToWebviewType,
} from '../src/protocol';
import { fmt, pct } from './format';
import type { Host } from './host';
import { connectHost } from './host';
import type { Data, Settings, ViewContext, ViewId } from './model';
import { baseName, cellName, defaultSettings, rowNorms, runName, steps, trainingFromSummary } from './model';
import { explain, explainText } from './terms';
import type { Palette } from './theme';
import { readPalette, watchTheme } from './theme';
import { CompareView } from './views/compare';
import { DecayView } from './views/decay';
import { FlowView } from './views/flow';
import { HeatmapView } from './views/heatmap';
import { TimelineView } from './views/timeline';
import { TrainingView } from './views/training';
import { UnrolledView } from './views/unrolled';
import type { View } from './views/view';
import { WhhView } from './views/whh';

/** Results larger than this (as JSON) are not kept in the webview state; the extension re-sends on restore. */
const MAX_STATE_CHARS = 2_000_000;

interface SavedState {
  settings: Settings;
  result?: unknown;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The headline: the protocol's summary sentence, or one built here if that is not available. */
export function headline(r: AnalysisResult): string {
  try {
    const s = summarize(r);
    if (s) return s;
  } catch {
    // Fall through to the local sentence.
  }
  const d = r.flow.decay;
  const cell = r.model.cell.toUpperCase();
  if (r.nonFinite) return `The ${cell} produced non-finite values at step ${r.nonFinite.step} (${r.nonFinite.what}).`;
  const maxD = d.distance[d.distance.length - 1] ?? 0;
  return d.horizon === null
    ? `The gradient from step t stays within 1/1000 of its size for all ${maxD} steps measured: this ${cell} keeps long-range signal on this data.`
    : `The gradient from step t reaches about ${d.horizon} steps back before falling below 1/1000: this ${cell} gets almost no learning signal from dependencies longer than that.`;
}

class App implements ViewContext {
  settings: Settings;
  readonly data: Data = { compare: [], compareLive: [] };
  palette: Palette;
  private readonly views: View[];
  private readonly tabs: HTMLElement & { selectedIndex: number };
  private readonly headlineEl = el('h1', 'headline', 'Unroll');
  private readonly weightsChip = el('span', 'chip weights');
  private readonly facts = el('dl', 'facts');
  /** For a trace replay: how closely it reproduced PyTorch's gradients, flagged when it did not or cannot. */
  private readonly replayLine = el('p', 'replay');
  private readonly staleBanner = el('div', 'banner stale');
  private readonly busyBanner = el('div', 'banner busy');
  private readonly notes = el('ul', 'notes');
  private readonly announcer = el('div', 'sr-only');
  private readonly slider = el('input', 'step-slider');
  private readonly stepLabel = el('output', 'step-label');
  /** For a trace of more than one layer, or bidirectional: which layer and direction the views show. */
  private readonly traceLayerBox = el('label', 'trace-layer');
  private readonly traceLayerSelect = document.createElement('vscode-single-select') as HTMLElement & {
    value: string;
  };
  private readonly heatmap: HeatmapView;
  private readonly timeline: TimelineView;
  private readonly unrolled: UnrolledView;
  private saveTimer = 0;
  private readonly tabHeads = new Map<ViewId, [HTMLElement, HTMLElement]>();
  private compareButton: HTMLElement | undefined;

  constructor(private readonly host: Host) {
    const saved = host.getState() as SavedState | undefined;
    this.settings = { ...defaultSettings, ...(saved?.settings ?? {}) };
    this.palette = readPalette();
    this.unrolled = new UnrolledView(this);
    this.heatmap = new HeatmapView(this);
    // The timeline stays last: its tab is there only while a trace is on screen, and the others keep their indices.
    this.views = [
      this.unrolled,
      this.heatmap,
      new FlowView(this),
      new DecayView(this),
      new WhhView(this),
      new TrainingView(this),
      new CompareView(this),
      (this.timeline = new TimelineView(this)),
    ];
    this.tabs = document.createElement('vscode-tabs') as HTMLElement & { selectedIndex: number };
    this.build();
    watchTheme(() => {
      this.palette = readPalette();
      this.views.forEach((v) => v.refresh());
    });
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    if (saved?.result) this.showResult(reviveResult(saved.result));
  }

  private build(): void {
    const header = el('header');
    this.weightsChip.hidden = true;
    this.replayLine.hidden = true;
    header.append(this.headlineEl, this.weightsChip, this.replayLine, this.facts);
    this.staleBanner.setAttribute('role', 'alert');
    this.staleBanner.hidden = true;
    this.busyBanner.setAttribute('role', 'status');
    this.busyBanner.hidden = true;
    this.announcer.setAttribute('aria-live', 'polite');

    const toolbar = el('div', 'toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Unroll actions');
    if (this.host.connected) {
      const commands: [WebviewCommandName, string][] = [
        ['train', 'Train'],
        ['stop', 'Stop'],
        ['compare', 'Compare cells'],
        ['exportReport', 'Export report'],
      ];
      for (const [command, label] of commands) {
        const button = this.button(
          label,
          () => this.host.command(command),
          command === 'train' ? undefined : 'secondary',
        );
        button.dataset.command = command;
        // Comparing cells needs a sequence file; a trace replays PyTorch's own layer.
        if (command === 'compare') this.compareButton = button;
        toolbar.append(button);
      }
    }
    const exports = el('span', 'exports');
    exports.append(el('span', 'hint', 'Export view:'));
    exports.append(
      this.button('PNG', () => this.exportView('png'), 'secondary'),
      this.button('SVG', () => this.exportView('svg'), 'secondary'),
      this.button('JSON', () => this.exportView('json'), 'secondary'),
    );
    const stepBox = el('label', 'step');
    stepBox.append(el('span', undefined, 'Step'), this.slider, this.stepLabel);
    this.slider.type = 'range';
    this.slider.min = '0';
    this.slider.setAttribute('aria-label', 'Selected time step');
    this.slider.addEventListener('input', () => this.select(Number(this.slider.value)));
    this.traceLayerBox.hidden = true;
    this.traceLayerSelect.setAttribute('aria-label', 'Layer shown');
    this.traceLayerSelect.addEventListener('change', () => {
      const [layer, direction] = this.traceLayerSelect.value.split(':');
      this.host.post({
        type: FromWebviewType.SelectTraceLayer,
        layer: Number(layer),
        reverse: direction === 'reverse',
      });
    });
    this.traceLayerBox.append(el('span', undefined, 'Layer'), this.traceLayerSelect);
    toolbar.append(exports, this.traceLayerBox, stepBox);

    this.views.forEach((v) => {
      const head = document.createElement('vscode-tab-header');
      head.setAttribute('slot', 'header');
      head.textContent = v.title;
      head.dataset.tab = v.id;
      const panel = document.createElement('vscode-tab-panel');
      panel.dataset.view = v.id;
      panel.append(v.root);
      v.root.dataset.view = v.id;
      this.tabHeads.set(v.id, [head, panel]);
      if (v.id !== 'timeline') this.tabs.append(head, panel);
    });
    this.tabs.addEventListener('vsc-tabs-select', (e) => {
      const view = this.views[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex];
      if (view) this.update({ view: view.id });
    });
    if (this.settings.view === 'timeline') this.settings = { ...this.settings, view: 'unrolled' };
    this.tabs.selectedIndex = Math.max(
      0,
      this.views.findIndex((v) => v.id === this.settings.view),
    );
    document.body.append(header, this.staleBanner, this.busyBanner, toolbar, this.tabs, this.notes, this.announcer);
  }

  private button(label: string, action: () => void, kind?: 'secondary'): HTMLElement {
    const b = document.createElement('vscode-button');
    b.textContent = label;
    if (kind) b.setAttribute('secondary', '');
    b.addEventListener('click', action);
    return b;
  }

  // ---- ViewContext ----

  get connected(): boolean {
    return this.host.connected;
  }

  update(change: Partial<Settings>): void {
    this.settings = { ...this.settings, ...change };
    if (change.view) {
      const i = this.views.findIndex((v) => v.id === change.view);
      if (this.tabs.selectedIndex !== i) this.tabs.selectedIndex = i;
    }
    if (change.metric || change.scale || change.colormap) this.heatmap.syncControls();
    this.views.forEach((v) => v.invalidate());
    this.saveSoon();
  }

  select(step: number): void {
    const r = this.data.result;
    if (!r) return;
    const t = Math.max(0, Math.min(steps(r) - 1, Math.round(step)));
    if (t === this.settings.step) return;
    this.settings = { ...this.settings, step: t };
    this.unrolled.revealStep(t);
    this.syncStep();
    this.views.forEach((v) => v.invalidate());
    this.host.post({ type: FromWebviewType.SelectStep, step: t });
    this.saveSoon();
  }

  selectSnapshot(step: number): void {
    if (!this.data.result?.trace) return;
    this.host.post({ type: FromWebviewType.SelectSnapshot, step });
  }

  // ---- messages ----

  private receive(message: unknown): void {
    const m = message as ToWebview;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
    const received = performance.now();
    switch (m.type) {
      case ToWebviewType.Result:
        this.showResult(reviveResult(m.result));
        this.rendered(m.generation, received);
        break;
      case ToWebviewType.Compare: {
        const results = m.results.map(reviveResult);
        this.data.compare = results;
        this.data.compareLive = [];
        if (!this.data.result && results[0]) this.showResult(results[0]);
        this.update({ view: 'compare' });
        this.rendered(m.generation, received);
        break;
      }
      case ToWebviewType.Stale:
        this.data.stale = m.problems;
        this.timeline.cancelPending();
        this.showStale();
        break;
      case ToWebviewType.TrainStart:
        this.data.training = {
          epochs: m.epochs,
          model: m.model,
          points: [],
          running: true,
          baseline: m.baseline,
          unit: m.unit,
        };
        this.data.compareLive = [];
        this.update({ view: 'training' });
        break;
      case ToWebviewType.TrainProgress:
        if (m.run !== undefined) {
          // A training compare: one curve per run, drawn in the Compare tab until the Results arrive.
          const first = !this.data.compareLive.some((points) => points?.length);
          (this.data.compareLive[m.run] ??= []).push(m.point);
          if (first) this.update({ view: 'compare' });
          this.viewById('compare').invalidate();
          break;
        }
        if (!this.data.training || this.data.training.fromResult)
          this.data.training = { epochs: m.point.epochs, model: '', points: [], running: true };
        this.data.training.points.push(m.point);
        this.viewById('training').invalidate();
        break;
      case ToWebviewType.TrainEnd:
        if (this.data.training) {
          this.data.training.running = false;
          this.data.training.end = { reason: m.reason, nonFinite: m.nonFinite };
        }
        this.viewById('training').invalidate();
        break;
      case ToWebviewType.Busy:
        this.busyBanner.hidden = !m.busy;
        this.busyBanner.textContent = m.busy ? `${m.what}…` : '';
        break;
      case ToWebviewType.ShowView:
        // Every PanelView of the protocol is one of these views (checked here when compiling).
        if (this.views.some((v) => v.id === m.view) && this.tabShown(m.view))
          this.update({ view: m.view satisfies ViewId });
        break;
    }
  }

  private viewById(id: ViewId): View {
    return this.views.find((v) => v.id === id)!;
  }

  /** Draw the visible view now, so the time reported covers a real redraw; the others draw when shown. */
  private rendered(generation: number, received: number): void {
    this.viewById(this.settings.view).render();
    const replay = this.data.result?.replay;
    this.host.post({
      type: FromWebviewType.Rendered,
      generation,
      ms: performance.now() - received,
      view: this.settings.view,
      ...(replay ? { replay: replayState(replay) } : {}),
    });
  }

  showResult(r: AnalysisResult): void {
    const previousTrace = this.data.result?.trace?.folder;
    this.data.result = r;
    this.showTimelineTab(r, previousTrace);
    if (this.compareButton) this.compareButton.hidden = !!r.trace;
    this.data.stale = undefined;
    this.showStale();
    if (this.settings.step < 0 || this.settings.step >= steps(r))
      this.settings = { ...this.settings, step: steps(r) - 1 };
    this.headlineEl.textContent = headline(r);
    this.showWeights(r);
    this.showReplay(r);
    this.showTraceLayer(r);
    this.adoptTraining(r);
    this.showFacts(r);
    this.showNotes(r);
    this.slider.max = String(steps(r) - 1);
    this.unrolled.revealStep(this.settings.step);
    this.syncStep();
    this.heatmap.syncControls();
    this.views.forEach((v) => v.invalidate());
    this.saveSoon();
  }

  private tabShown(view: ViewId): boolean {
    return view !== 'timeline' || !!this.data.result?.trace;
  }

  /**
   * The Timeline tab is there while a trace is on screen (it is the last tab, so the others keep their indices). A
   * trace opened anew shows it; a Result without a trace takes it away (and leaves it for the first tab).
   */
  private showTimelineTab(r: AnalysisResult, previousTrace: string | undefined): void {
    const [head, panel] = this.tabHeads.get('timeline')!;
    const present = head.parentElement === this.tabs;
    if (r.trace && !present) this.tabs.append(head, panel);
    if (!r.trace && present) {
      if (this.settings.view === 'timeline') this.update({ view: 'unrolled' });
      head.remove();
      panel.remove();
    }
    if (r.trace && r.trace.folder !== previousTrace) this.update({ view: 'timeline' });
  }

  /**
   * The layer control of a trace with more than one layer or a reverse direction: every layer and direction of the
   * recorded module (PyTorch's numbering), the one shown selected. Picking one replays the snapshot for it. Inside
   * VS Code only (the report cannot replay).
   */
  private showTraceLayer(r: AnalysisResult): void {
    const t = r.trace;
    const layers = t ? Number(t.config.num_layers) : 0;
    const bidirectional = t?.config.bidirectional === true;
    this.traceLayerBox.hidden = !this.host.connected || !t || (layers <= 1 && !bidirectional);
    if (this.traceLayerBox.hidden || !t) return;
    const options: [string, string][] = [];
    for (let l = 0; l < layers; l++) {
      if (!bidirectional) options.push([`${l}:forward`, `${l}`]);
      else options.push([`${l}:forward`, `${l}, forward`], [`${l}:reverse`, `${l}, reverse`]);
    }
    const value = `${t.layer ?? layers - 1}:${t.reverse ? 'reverse' : 'forward'}`;
    this.traceLayerSelect.replaceChildren(
      ...options.map(([v, text]) => {
        const o = document.createElement('vscode-option');
        o.setAttribute('value', v);
        o.textContent = text;
        if (v === value) o.setAttribute('selected', '');
        return o;
      }),
    );
    this.traceLayerSelect.value = value;
  }

  /** The replay line under the headline: the words every surface uses, marked by state, with what was compared on hover. */
  private showReplay(r: AnalysisResult): void {
    const text = replaySentence(r);
    this.replayLine.hidden = !text;
    this.replayLine.replaceChildren();
    delete this.replayLine.dataset.state;
    this.replayLine.classList.remove('has-term');
    this.replayLine.removeAttribute('tabindex');
    this.replayLine.removeAttribute('aria-describedby');
    if (!text || !r.replay) return;
    const state = replayState(r.replay);
    this.replayLine.dataset.state = state;
    if (state !== 'ok')
      this.replayLine.append(el('strong', 'replay-flag', state === 'mismatch' ? '⚠ Mismatch' : '⚠ Approximate'));
    this.replayLine.append(el('span', 'replay-text', text.replace(/^⚠ /, '')));
    explainText(this.replayLine, replayExplanation(r));
    if (state !== 'ok') this.replayLine.setAttribute('role', 'alert');
    else this.replayLine.removeAttribute('role');
  }

  /** Compare results embedded in a report. */
  showCompare(results: AnalysisResult[]): void {
    this.data.compare = results;
    this.viewById('compare').invalidate();
  }

  /** Which weights the numbers describe, next to the headline: at initialization, after N epochs, or a file. */
  private showWeights(r: AnalysisResult): void {
    const text = weightsText(r);
    this.weightsChip.hidden = !text;
    this.weightsChip.textContent = text ?? '';
  }

  /**
   * A Result from a training run carries what the run measured: its baseline and unit complete the live curves, and
   * when nothing streamed (a restored panel, a report) its history is what the Training tab shows.
   */
  private adoptTraining(r: AnalysisResult): void {
    const t = this.data.training;
    if (r.training) {
      if (
        t &&
        !t.fromResult &&
        t.points.length &&
        r.training.history.length &&
        t.points[0].epoch === r.training.history[0].epoch
      ) {
        t.baseline ??= r.training.baseline;
        t.unit ??= r.training.unit;
      } else if (!t?.running) this.data.training = trainingFromSummary(r.training, runName(r));
    } else if (t?.fromResult) this.data.training = undefined;
  }

  private showFacts(r: AnalysisResult): void {
    const g = r.spectral.gamma * r.spectral.sigmaMax;
    const clip = r.model.clip;
    const d = r.flow.decay;
    const gain = r.spectral.stepGain;
    // [term, value, terms the hover explains, error]
    const facts: [string, string, GlossaryTerm[]?, boolean?][] = [
      ['cell', `${cellName(r)}${r.model.cell === 'rnn' ? ` (${r.model.nonlinearity})` : ''}, ${r.model.hidden} units`],
      ['steps', `${steps(r)}${r.meta.originalSteps > steps(r) ? ` of ${r.meta.originalSteps}` : ''}`],
      r.trace ? ['PyTorch loss', pytorchLoss(r)] : ['loss L = Σ ℓ_t', fmt(r.loss)],
      ['‖∇L‖', fmt(r.gradNorms.global)],
      ['ρ(W)', fmt(r.spectral.radius), ['radius']],
      [
        'σ_max vs 1/γ',
        `${fmt(r.spectral.sigmaMax)} vs ${fmt(1 / r.spectral.gamma)}${g < 1 ? ' (vanishing guaranteed)' : ''}`,
        ['sigmaMax', 'gamma'],
      ],
      ['step gain', gain === null || gain === undefined ? '—' : `×${fmt(gain)} per step`, ['stepGain']],
      [
        'horizon',
        d.horizon === null
          ? `beyond ${d.distance[d.distance.length - 1] ?? 0} steps`
          : `${d.horizon} step${d.horizon === 1 ? '' : 's'}`,
        ['horizon'],
      ],
      ['decay slope', `${fmt(d.slope)} per step`, ['slope']],
      ['alive steps', pct(r.aliveFraction), ['alive']],
      ['BPTT', r.model.bptt.truncate === null ? 'full' : `truncated, k = ${r.model.bptt.truncate}`],
      [
        'clipping',
        clip?.norm
          ? `global norm τ = ${fmt(clip.norm)}, fired ${r.clipped}×`
          : clip?.value
            ? `element-wise ±${fmt(clip.value)} (changes direction), fired ${r.clipped}×`
            : 'off',
      ],
    ];
    if (r.nonFinite) facts.push(['non-finite', describeNonFinite(r.nonFinite), undefined, true]);
    this.facts.replaceChildren(
      ...facts.map(([k, v, terms, bad]) => {
        const item = el('div', 'fact');
        item.append(el('dt', undefined, k), el('dd', bad ? 'bad' : undefined, v));
        if (terms) explain(item, terms);
        return item;
      }),
    );
  }

  private showNotes(r: AnalysisResult): void {
    const items = [...r.meta.notes];
    if (!r.flow.exact)
      items.push(`The flow matrix and the decay use ${r.flow.steps.length} evenly spaced rows of ${steps(r)}.`);
    if (r.nonFinite) items.push(`Non-finite values at step ${r.nonFinite.step}: ${r.nonFinite.what}.`);
    items.push(
      `Data: ${r.meta.dataFile}${r.meta.modelFile ? ` · model: ${r.meta.modelFile}` : ''}${r.meta.weightsFile ? ` · weights: ${r.meta.weightsFile}` : ''} · engine ${r.meta.engineVersion} · ${fmt(r.meta.elapsedMs)} ms`,
    );
    this.notes.replaceChildren(...items.map((n) => el('li', undefined, n)));
  }

  private showStale(): void {
    const problems = this.data.stale;
    this.staleBanner.hidden = !problems;
    document.body.classList.toggle('is-stale', !!problems);
    if (!problems) return;
    const list = el('ul');
    list.append(
      ...problems.map((p) =>
        el('li', undefined, `${p.file}:${p.line}:${p.column}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`),
      ),
    );
    this.staleBanner.replaceChildren(
      el(
        'strong',
        undefined,
        'Out of date: the files changed and can no longer be analyzed. The picture below is the last good one.',
      ),
      list,
    );
  }

  private syncStep(): void {
    const r = this.data.result;
    if (!r) return;
    const t = this.settings.step;
    this.slider.value = String(t);
    // A trace replay has no per-step loss: the loss came from PyTorch, as gradients at the layer's outputs.
    const loss = r.trace ? '' : ` · ℓ_t = ${fmt(r.lossPerStep[t])}`;
    const text = `t = ${t} / ${steps(r) - 1}${loss} · ‖∂L/∂h_t‖ = ${fmt(rowNorms(r.dLdh)[t])}`;
    this.stepLabel.textContent = text;
    this.announcer.textContent = `Step ${text}`;
  }

  private exportView(format: 'png' | 'svg' | 'json'): void {
    const view = this.viewById(this.settings.view);
    const data =
      format === 'png'
        ? view.toPngBase64()
        : format === 'svg'
          ? view.toSvg()
          : JSON.stringify(view.numbers(), jsonSafe, 1);
    this.host.exportFile(format, view.id, data);
  }

  private saveSoon(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => this.save(), 200);
  }

  private save(): void {
    const state: SavedState = { settings: this.settings };
    if (this.data.result) {
      const json = resultToJson(this.data.result);
      if (JSON.stringify(json).length <= MAX_STATE_CHARS) state.result = json;
    }
    this.host.setState(state);
  }
}

/** "weights: at initialization (orthogonal)", "weights: after 30 epochs", "weights: file w.safetensors"; undefined when the Result does not say. */
export function weightsText(r: AnalysisResult): string | undefined {
  const w = r.meta.weights;
  if (!w) return undefined;
  if (w.kind === 'initialization') return `weights: at initialization (${w.init})`;
  if (w.kind === 'trained')
    return `weights: after ${w.epochs} epoch${w.epochs === 1 ? '' : 's'}${w.startedFrom === 'file' ? ' from a weights file' : ''}`;
  return `weights: file ${baseName(w.path)}${w.trainedEpochs !== undefined ? ` (trained ${w.trainedEpochs} epoch${w.trainedEpochs === 1 ? '' : 's'})` : ''}`;
}

/** JSON has no NaN or ∞: write them as null, as the CLI's --json does. */
function jsonSafe(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (ArrayBuffer.isView(v))
    return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
  return v;
}

function start(): void {
  const host = connectHost();
  document.body.classList.toggle('standalone', !host.connected);
  const app = new App(host);
  const embedded = host.embeddedResults();
  if (embedded.length) {
    app.showResult(embedded[0]);
    if (embedded.length > 1) app.showCompare(embedded);
  }
  host.post({ type: FromWebviewType.Ready });
}

start();

/** The loss PyTorch recorded at the snapshot shown ("not recorded" when the tracer was not given it). */
function pytorchLoss(r: AnalysisResult): string {
  const shown = r.trace?.snapshots.find((s) => s.step === r.trace!.shown);
  return shown?.loss === null || shown?.loss === undefined
    ? 'not recorded'
    : `${fmt(shown.loss)} at step ${r.trace!.shown}`;
}
