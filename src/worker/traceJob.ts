// The analysis of a PyTorch trace (`*.unroll-trace`, docs/TRACE-FORMAT.md): read the snapshot asked for, replay it
// (forward + BPTT from the recorded output gradients), check the replay against PyTorch's own gradients, analyze
// the layer and direction asked for (default: the last layer, forward), and lay out the timeline of every snapshot in the folder.
import type { AnalysisResult, ReplayCheck, TraceSnapshot, TraceTimeline } from '../protocol/result';
import type { AnalyzeSource, EngineSettings } from '../protocol/messages';
import type { FileSeam } from '../data/files';
import {
  configRecord,
  describe,
  loadTrace,
  readTraceSnapshot,
  TRACE_INDEX,
  type TraceIndexEntry,
  type TraceSnapshotFile,
} from '../data/trace';
import { fail, START } from '../data/errors';
import { resolvePath } from '../data/paths';
import {
  analyzeReplay,
  checkReplay,
  directionsOf,
  passMultiplyAdds,
  replay,
  replayDoubles,
  replayMultiplyAdds,
  type ReplaySnapshot,
} from '../engine';
import type { AnalyzeOutcome, BeforeCompute } from './jobs';

const clock = () => performance.now();

/**
 * Other snapshots of the timeline are replayed newest first while the multiply-adds spent on them (replay, flow rows at
 * TIMELINE_FLOW_BUDGET, ρ/σ_max) stay within this share of the shown snapshot's, or TIMELINE_FLOOR_WORK, whichever is
 * larger; the rest keep null diagnostics. Counted in work, not time, so the same trace always gets the same timeline.
 */
export const TIMELINE_SHARE = 0.5;
/** About a tenth of a second here: every snapshot of a small trace fits. */
export const TIMELINE_FLOOR_WORK = 2 ** 28;
/** The flow budget of the other snapshots' analyses (their horizon and slope only): a tenth of a pass. */
const TIMELINE_FLOW_BUDGET = 0.1;
/** ρ and σ_max of an H×H matrix cost about this many H³ multiply-adds (as cost.ts counts them). */
const SPECTRAL_PER_H3 = 20;

function replayCost(settings: EngineSettings, flowBudget = settings.flowBudget) {
  return (s: ReplaySnapshot) => {
    let values = s.input.length + 3 * s.h0.length + 2 * s.gradOutput.length + (s.c0 ? 3 * s.c0.length : 0);
    for (const t of s.params.values()) values += 2 * t.data.length;
    const top = s.config.hiddenSize;
    // the flow rows run on one layer: the input of a layer above the first is the layer below's output
    const upper = directionsOf(s.config) * (s.config.projSize > 0 ? s.config.projSize : top);
    const shape = {
      cell: s.config.mode === 'LSTM' ? 'lstm' : s.config.mode === 'GRU' ? 'gru' : 'rnn',
      hidden: top,
      layers: 1,
      inputSize: Math.max(s.config.inputSize, s.config.numLayers > 1 ? upper : 0),
      outputSize: 1,
    } as const;
    const flow = Math.max(0, flowBudget) * passMultiplyAdds(shape, s.T) + SPECTRAL_PER_H3 * top ** 3;
    return {
      doubles: values + replayDoubles(s.config, s.S, s.T),
      multiplyAdds: replayMultiplyAdds(s.config, s.S, s.T) + flow,
    };
  };
}

interface Replayed {
  result: AnalysisResult;
  check: ReplayCheck;
}

/** The layer (from 0) and direction the views show. */
interface Shown {
  layer: number;
  reverse: boolean;
}

/** The layer and direction a source asks for (default: the last layer, forward), checked against the recorded module. */
function shownOf(source: AnalyzeSource, file: TraceSnapshotFile): Shown {
  const c = file.snapshot.config;
  const layer = source.traceLayer ?? c.numLayers - 1;
  const reverse = source.traceReverse === true;
  const range = c.numLayers === 1 ? 'only layer 0' : `layers 0 to ${c.numLayers - 1}`;
  if (!Number.isInteger(layer) || layer < 0 || layer >= c.numLayers)
    fail(
      file.path,
      START,
      `this ${c.mode} has no layer ${layer}: it has ${range} (PyTorch's numbering: weight_hh_l0 is layer 0)`,
      `pick one of ${range}`,
    );
  if (reverse && !c.bidirectional)
    fail(
      file.path,
      START,
      `this ${c.mode} is not bidirectional: it has no reverse direction`,
      'analyze the forward direction (leave out --reverse)',
    );
  return { layer, reverse };
}

function replayOne(
  file: TraceSnapshotFile,
  folder: string,
  flowBudget: number,
  notes: string[],
  shown: Shown,
): Replayed {
  let run = replay(file.snapshot);
  let { check, forward } = checkReplay(run, file.recorded, file, file.meta.dtype, file.meta.approximate);
  // A float32 run replays with float32 products (the snapshot's precision); one that misses the bound is redone in
  // float64 before anything is flagged, so a mismatch is never the replay's own rounding.
  if (!check.ok && check.approximate === null && run.precision === 'float32') {
    run = replay({ ...file.snapshot, precision: 'float64' });
    ({ check, forward } = checkReplay(run, file.recorded, file, file.meta.dtype, file.meta.approximate));
  }
  const replayCheck: ReplayCheck = { ...check, forward };
  const result = analyzeReplay(run, {
    ...shown,
    flowBudget,
    now: clock,
    meta: {
      dataFile: folder,
      weightsFile: file.path,
      weights: { kind: 'file', path: file.path },
      originalSteps: file.snapshot.T,
      sequence: 0,
      sequences: file.snapshot.S,
      notes,
    },
  });
  result.replay = replayCheck;
  return { result, check: replayCheck };
}

function recordedGradNorm(file: TraceSnapshotFile): number {
  let s = 0;
  for (const [name, t] of file.recorded) {
    if (name === 'h0' || name === 'c0') continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  }
  return Math.sqrt(s);
}

function snapshotOf(entry: TraceIndexEntry, r: Replayed | null, gradNorm: number | null): TraceSnapshot {
  const decay = r?.result.flow.decay;
  return {
    step: entry.step,
    file: entry.file,
    loss: entry.loss,
    horizon: decay ? decay.horizon : null,
    decaySlope: decay && Number.isFinite(decay.slope) ? decay.slope : null,
    rho: r ? r.result.spectral.radius : null,
    sigmaMax: r ? r.result.spectral.sigmaMax : null,
    gradNorm,
    maxRelErr: r ? r.check.maxRelErr : null,
  };
}

/** What the Result's notes say about a snapshot: whose run it is, at which step, and what the views show. */
function notesOf(file: TraceSnapshotFile, folder: string, shown: Shown): string[] {
  const { meta, snapshot } = file;
  const c = snapshot.config;
  const dirs = c.bidirectional ? 2 : 1;
  const loss = meta.loss !== null ? `, loss ${meta.loss.toPrecision(4)}` : '';
  const notes = [
    `A snapshot of your PyTorch run at training step ${meta.step}${loss} (${folder.split(/[\\/]/).pop()}, ${meta.dtype}${meta.worldSize > 1 ? `, rank ${meta.rank} of ${meta.worldSize}` : ''}): Unroll replayed the recorded ${c.mode} (${describe(c)}) from its input, initial state, weights and output gradients; PyTorch did the training.`,
    `The views show layer ${shown.layer}${c.numLayers > 1 ? ` of ${c.numLayers} (0 to ${c.numLayers - 1})` : ''}${dirs === 2 ? (shown.reverse ? ', reverse direction (run from the last step down, so step i is time T−1−i)' : ', forward direction') : ''}, on recorded row 1 of ${snapshot.S}; the gradients are those of the ${snapshot.S} recorded rows' share of the loss${meta.batch ? ` (batch of ${meta.batch})` : ''}.`,
  ];
  if (!meta.h0Given)
    notes.push(
      'The module was given no h0: it started from zeros, and ∂L/∂h0 is not compared (PyTorch computes none).',
    );
  if (c.projSize > 0)
    notes.push(
      `proj_size ${c.projSize}: the views show the cell's unprojected output m_t = o_t ⊙ tanh(c_t) (h_t = W_hr m_t), ∂L/∂m_t, and ρ, σ_max of the candidate block of W_hh·W_hr, the matrix through which m_{t−1} reaches the gates.`,
    );
  // ∂L/∂c_n of the direction shown, on the row shown: the flow rows start from the gradient reaching h_t, not c_n
  const gradCn = snapshot.gradCn;
  if (c.mode === 'LSTM' && gradCn) {
    const k = shown.layer * dirs + (shown.reverse ? 1 : 0),
      H = c.hiddenSize;
    let cn2 = 0;
    for (let j = 0; j < H; j++) cn2 += gradCn[k * snapshot.S * H + j] ** 2;
    if (cn2 > 0)
      notes.push(
        `∂L/∂c_n is not zero here (‖∂L/∂c_n‖ = ${Math.sqrt(cn2).toPrecision(3)} on the row shown): it is part of ∂L/∂h_t and of the replay check, but the flow matrix and the parts of ∂L/∂W_hh by distance follow only the gradient reaching h_t (the output gradients and ∂L/∂h_n), so they leave out what enters through c_n.`,
      );
  }
  return notes;
}

/**
 * runAnalyze for a trace folder (AnalyzeSource.path ending in `.unroll-trace`, or a `step-N.safetensors` inside
 * one). Files watched: the index (new snapshots) and the snapshot shown.
 */
export async function runTraceAnalyze(
  source: AnalyzeSource,
  settings: EngineSettings,
  files: FileSeam,
  beforeCompute?: BeforeCompute,
): Promise<AnalyzeOutcome> {
  const { index, entry, snapshot } = await loadTrace(
    source.path,
    source.traceStep,
    settings,
    files,
    replayCost(settings),
  );
  const folder = index.folder;
  const which = shownOf(source, snapshot);
  await beforeCompute?.({ dataFile: folder, weightsFile: snapshot.path });
  const started = clock();
  const shown = replayOne(snapshot, folder, settings.flowBudget, notesOf(snapshot, folder, which), which);
  const byStep = new Map<number, TraceSnapshot>();
  byStep.set(entry.step, snapshotOf(entry, shown, recordedGradNorm(snapshot)));
  // The others, newest first, while the work budget lasts.
  const cost = replayCost(settings, TIMELINE_FLOW_BUDGET);
  let left = Math.max(TIMELINE_FLOOR_WORK, TIMELINE_SHARE * replayCost(settings)(snapshot.snapshot).multiplyAdds);
  const others = index.entries.filter((e) => e.step !== entry.step).sort((a, b) => b.step - a.step);
  for (const other of others) {
    try {
      const file = await readTraceSnapshot(files, folder, other);
      const work = cost(file.snapshot).multiplyAdds;
      if (work > left) break;
      // the same layer and direction where that snapshot has them (the module may differ between snapshots)
      const c = file.snapshot.config;
      if (which.layer >= c.numLayers || (which.reverse && !c.bidirectional)) continue;
      left -= work;
      byStep.set(
        other.step,
        snapshotOf(other, replayOne(file, folder, TIMELINE_FLOW_BUDGET, [], which), recordedGradNorm(file)),
      );
    } catch {
      // a snapshot that cannot be read (written while we read, damaged) stays without diagnostics on the timeline
    }
  }
  const timeline: TraceTimeline = {
    folder,
    shown: entry.step,
    snapshots: index.entries
      .map((e) => byStep.get(e.step) ?? snapshotOf(e, null, null))
      .sort((a, b) => a.step - b.step),
    config: configRecord(snapshot.snapshot.config),
    worldSize: snapshot.meta.worldSize,
    rank: snapshot.meta.rank,
    layer: which.layer,
    reverse: which.reverse,
  };
  const result = shown.result;
  result.trace = timeline;
  result.meta.elapsedMs = clock() - started;
  return { result, files: [resolvePath(folder, TRACE_INDEX), snapshot.path], warnings: index.warnings };
}
