// The one Result converter. The JSON form of a Result (what `unroll analyze --json` writes): nested arrays in each
// tensor's shape, non-finite numbers as null. Used by the CLI's --json, the report's embedded data, Export Report, the
// panel's saved state and the recorded test fixtures; `resultFromJson` inverts it, and `reviveResult` takes a Result
// in whichever form it arrives (in memory, JSON, or typed arrays flattened by a JSON round trip).
import type {
  AnalysisResult,
  GateName,
  LayerTrace,
  Mat,
  NonFinite,
  ReplayCheck,
  Tensor,
  TraceTimeline,
  TrainingSummary,
  TrainPoint,
} from './result';

type Nested = number | null | Nested[];

function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function matToRows(m: Mat): (number | null)[][] {
  const rows: (number | null)[][] = [];
  for (let r = 0; r < m.rows; r++) {
    const row: (number | null)[] = new Array(m.cols);
    for (let c = 0; c < m.cols; c++) row[c] = num(m.data[r * m.cols + c]);
    rows.push(row);
  }
  return rows;
}

export function tensorToNested(t: Tensor): Nested {
  const build = (dim: number, offset: number): Nested => {
    if (dim === t.shape.length) return num(t.data[offset]);
    const stride = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const out: Nested[] = [];
    for (let i = 0; i < t.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
    return out;
  };
  return build(0, 0);
}

function list(a: ArrayLike<number>): (number | null)[] {
  return Array.from(a, num);
}

function gatesToJson(g: Partial<Record<GateName, Mat>> | undefined) {
  if (!g) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, m] of Object.entries(g)) if (m) out[k] = matToRows(m);
  return out;
}

function layerToJson(l: LayerTrace) {
  return {
    hidden: matToRows(l.hidden),
    dLdh: matToRows(l.dLdh),
    cell: l.cell && matToRows(l.cell),
    gates: gatesToJson(l.gates),
  };
}

/** Every number of an object, one level deep, through `num` (non-finite → null); other values as they are. */
function numbers<T extends object>(o: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? num(v) : v]));
}

function nonFiniteToJson(n: NonFinite | null): Record<string, unknown> | null {
  return n && { ...numbers(n), ...(n.lastFinite ? { lastFinite: numbers(n.lastFinite) } : {}) };
}

export function trainPointToJson(p: TrainPoint): Record<string, unknown> {
  return numbers(p);
}

/** A training summary for JSON: a diverging run's losses (1e+300, Infinity) stay numbers or become null. */
export function trainingToJson(t: TrainingSummary): Record<string, unknown> {
  return {
    ...t,
    baseline: numbers(t.baseline),
    history: t.history.map(trainPointToJson),
    nonFinite: nonFiniteToJson(t.nonFinite),
    ...(t.diverging ? { diverging: numbers(t.diverging) } : {}),
  };
}

function pointFromJson(p: any): TrainPoint {
  return {
    ...p,
    loss: back(p.loss),
    heldOutLoss: p.heldOutLoss === null ? null : back(p.heldOutLoss),
    gradNorm: back(p.gradNorm),
    gradNormMax: back(p.gradNormMax),
    radius: back(p.radius),
    sigmaMax: back(p.sigmaMax),
  };
}

export function trainingFromJson(t: any): TrainingSummary {
  return { ...t, baseline: { ...t.baseline, loss: back(t.baseline.loss) }, history: t.history.map(pointFromJson) };
}

/** A plain object safe for JSON.stringify, shaped as `unroll analyze --json` writes it. */
export function resultToJson(r: AnalysisResult): Record<string, unknown> {
  const grads: Record<string, Nested> = {};
  for (const [name, t] of Object.entries(r.grads)) grads[name] = tensorToNested(t);
  const gradNorms: Record<string, number | null> = {};
  for (const [name, v] of Object.entries(r.gradNorms)) gradNorms[name] = num(v);
  return {
    model: r.model,
    loss: num(r.loss),
    lossPerStep: list(r.lossPerStep),
    grads,
    dLdh: matToRows(r.dLdh),
    hidden: matToRows(r.hidden),
    cell: r.cell && matToRows(r.cell),
    gates: gatesToJson(r.gates),
    stepJacobian: list(r.stepJacobian),
    forgetMean: r.forgetMean && list(r.forgetMean),
    flow: {
      steps: r.flow.steps,
      matrix: r.flow.matrix.map(list),
      exact: r.flow.exact,
      truncate: r.flow.truncate,
      decay: {
        ...r.flow.decay,
        meanLog10: r.flow.decay.meanLog10.map(num),
        stdLog10: r.flow.decay.stdLog10.map(num),
        slope: num(r.flow.decay.slope),
      },
    },
    whhByDistance: list(r.whhByDistance),
    spectral: {
      ...r.spectral,
      radius: num(r.spectral.radius),
      sigmaMax: num(r.spectral.sigmaMax),
      boundSlope: num(r.spectral.boundSlope),
    },
    gradNorms,
    clipped: r.clipped,
    nonFinite: r.nonFinite,
    aliveFraction: num(r.aliveFraction),
    layers: r.layers && r.layers.map(layerToJson),
    input: r.input && matToRows(r.input),
    target: r.target && matToRows(r.target),
    ...(r.training ? { training: trainingToJson(r.training) } : {}),
    ...(r.replay ? { replay: replayToJson(r.replay) } : {}),
    ...(r.trace ? { trace: { ...r.trace, snapshots: r.trace.snapshots.map((s) => numbers(s)) } } : {}),
    meta: r.meta,
  };
}

/** Relative errors may be NaN or Infinity (a replay that overflowed): null in JSON, NaN back. */
function replayToJson(c: ReplayCheck): Record<string, unknown> {
  const errors = (list: { name: string; relErr: number }[]) =>
    list.map((e) => ({ name: e.name, relErr: num(e.relErr) }));
  return {
    ...c,
    maxRelErr: num(c.maxRelErr),
    compared: errors(c.compared),
    ...(c.forward
      ? { forward: { ...c.forward, maxRelErr: num(c.forward.maxRelErr), compared: errors(c.forward.compared) } }
      : {}),
  };
}

function replayFromJson(c: any): ReplayCheck {
  const errors = (list: any[]) => list.map((e) => ({ name: e.name, relErr: back(e.relErr) }));
  return {
    ...c,
    maxRelErr: back(c.maxRelErr),
    compared: errors(c.compared),
    ...(c.forward
      ? { forward: { ...c.forward, maxRelErr: back(c.forward.maxRelErr), compared: errors(c.forward.compared) } }
      : {}),
  };
}

function traceFromJson(t: any): TraceTimeline {
  const maybe = (x: unknown) => (x === null ? null : back(x));
  return {
    ...t,
    snapshots: t.snapshots.map((s: any) => ({
      ...s,
      horizon: s.horizon,
      loss: maybe(s.loss),
      decaySlope: maybe(s.decaySlope),
      rho: maybe(s.rho),
      sigmaMax: maybe(s.sigmaMax),
      gradNorm: maybe(s.gradNorm),
      maxRelErr: maybe(s.maxRelErr),
    })),
  };
}

// ---- inverse ----

function back(x: unknown): number {
  return typeof x === 'number' ? x : NaN;
}

export function rowsToMat(rows: unknown): Mat {
  const rs = rows as unknown[][];
  const r = rs.length;
  const c = r > 0 ? rs[0].length : 0;
  const data = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[i * c + j] = back(rs[i][j]);
  return { rows: r, cols: c, data };
}

export function nestedToTensor(x: unknown): Tensor {
  const shape: number[] = [];
  let cur: unknown = x;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const flat = (Array.isArray(x) ? (x as unknown[]).flat(Infinity) : [x]) as unknown[];
  return { shape, data: Float64Array.from(flat, back) };
}

function gatesFromJson(g: unknown): Partial<Record<GateName, Mat>> | undefined {
  if (!g || typeof g !== 'object') return undefined;
  const out: Partial<Record<GateName, Mat>> = {};
  for (const [k, v] of Object.entries(g as Record<string, unknown>)) out[k as GateName] = rowsToMat(v);
  return out;
}

/** Rebuild an in-memory Result from its JSON form (reports, recorded fixtures). */
export function resultFromJson(j: any): AnalysisResult {
  const grads: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(j.grads ?? {})) grads[name] = nestedToTensor(v);
  const gradNorms: Record<string, number> = {};
  for (const [name, v] of Object.entries(j.gradNorms ?? {})) gradNorms[name] = back(v);
  return {
    model: j.model,
    loss: back(j.loss),
    lossPerStep: Float64Array.from(j.lossPerStep, back),
    grads,
    dLdh: rowsToMat(j.dLdh),
    hidden: rowsToMat(j.hidden),
    cell: j.cell ? rowsToMat(j.cell) : undefined,
    gates: gatesFromJson(j.gates),
    stepJacobian: Float64Array.from(j.stepJacobian ?? [], back),
    forgetMean: j.forgetMean ? Float64Array.from(j.forgetMean, back) : undefined,
    flow: {
      steps: j.flow.steps,
      matrix: j.flow.matrix.map((row: unknown[]) => Float64Array.from(row, back)),
      exact: j.flow.exact,
      truncate: j.flow.truncate,
      decay: {
        ...j.flow.decay,
        meanLog10: j.flow.decay.meanLog10.map(back),
        stdLog10: j.flow.decay.stdLog10.map(back),
        slope: back(j.flow.decay.slope),
      },
    },
    whhByDistance: Float64Array.from(j.whhByDistance, back),
    spectral: {
      ...j.spectral,
      radius: back(j.spectral.radius),
      sigmaMax: back(j.spectral.sigmaMax),
      boundSlope: back(j.spectral.boundSlope),
    },
    gradNorms: gradNorms as AnalysisResult['gradNorms'],
    clipped: j.clipped,
    nonFinite: j.nonFinite,
    aliveFraction: back(j.aliveFraction),
    layers: j.layers?.map((l: any) => ({
      hidden: rowsToMat(l.hidden),
      dLdh: rowsToMat(l.dLdh),
      cell: l.cell ? rowsToMat(l.cell) : undefined,
      gates: gatesFromJson(l.gates),
    })),
    input: j.input ? rowsToMat(j.input) : undefined,
    target: j.target ? rowsToMat(j.target) : undefined,
    ...(j.training ? { training: trainingFromJson(j.training) } : {}),
    ...(j.replay ? { replay: replayFromJson(j.replay) } : {}),
    ...(j.trace ? { trace: traceFromJson(j.trace) } : {}),
    meta: j.meta,
  };
}

// ---- any form ----

function asFloat64(x: unknown): Float64Array {
  if (x instanceof Float64Array) return x;
  if (ArrayBuffer.isView(x)) return Float64Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return Float64Array.from(x, back);
  // A typed array through JSON.stringify: { "0": …, "1": … }.
  if (x && typeof x === 'object') return Float64Array.from(Object.values(x as Record<string, unknown>), back);
  return new Float64Array(0);
}

function asMat(m: Mat | undefined): Mat | undefined {
  return m && { rows: m.rows, cols: m.cols, data: asFloat64(m.data) };
}

function asGates(g: Partial<Record<GateName, Mat>> | undefined): Partial<Record<GateName, Mat>> | undefined {
  return g && Object.fromEntries(Object.entries(g).map(([k, m]) => [k, asMat(m)]));
}

/**
 * A Result in whichever form it arrives: in memory (typed arrays, as the worker makes them and postMessage carries
 * them), the JSON form above (nested arrays: the report, saved panel state, fixtures), or in memory with its typed
 * arrays flattened to objects by a JSON round trip. The panel and anything else that receives Results use this.
 */
export function reviveResult(x: unknown): AnalysisResult {
  const r = x as AnalysisResult & { dLdh: unknown };
  if (Array.isArray(r.dLdh)) return resultFromJson(r);
  // Scalars that JSON turned from NaN or ±Infinity into null become NaN again, as resultFromJson does.
  return {
    ...r,
    loss: back(r.loss),
    aliveFraction: back(r.aliveFraction),
    gradNorms: Object.fromEntries(
      Object.entries(r.gradNorms ?? {}).map(([k, v]) => [k, back(v)]),
    ) as AnalysisResult['gradNorms'],
    spectral: {
      ...r.spectral,
      radius: back(r.spectral.radius),
      sigmaMax: back(r.spectral.sigmaMax),
      boundSlope: back(r.spectral.boundSlope),
    },
    grads: Object.fromEntries(
      Object.entries(r.grads ?? {}).map(([k, t]) => [k, { shape: t.shape, data: asFloat64(t.data) }]),
    ),
    lossPerStep: asFloat64(r.lossPerStep),
    dLdh: asMat(r.dLdh)!,
    hidden: asMat(r.hidden)!,
    cell: asMat(r.cell),
    gates: asGates(r.gates),
    stepJacobian: asFloat64(r.stepJacobian),
    forgetMean: r.forgetMean && asFloat64(r.forgetMean),
    flow: {
      ...r.flow,
      matrix: r.flow.matrix.map(asFloat64),
      decay: { ...r.flow.decay, slope: back(r.flow.decay.slope) },
    },
    whhByDistance: asFloat64(r.whhByDistance),
    input: asMat(r.input),
    target: asMat(r.target),
    layers: r.layers?.map((l) => ({
      hidden: asMat(l.hidden)!,
      dLdh: asMat(l.dLdh)!,
      cell: asMat(l.cell),
      gates: asGates(l.gates),
    })),
  };
}
