// Results arrive either in memory form (typed arrays, as the worker makes them) or in the JSON form of src/protocol/json.ts
// (nested arrays: restored state, the report). Accept both, and typed arrays that a transport flattened to objects.
import type { AnalysisResult, Mat } from '../src/protocol';
import { resultFromJson } from '../src/protocol';

function asFloat64(x: unknown): Float64Array {
  if (x instanceof Float64Array) return x;
  if (ArrayBuffer.isView(x)) return Float64Array.from(x as unknown as ArrayLike<number>);
  if (Array.isArray(x)) return Float64Array.from(x, (v) => (typeof v === 'number' ? v : NaN));
  if (x && typeof x === 'object') return Float64Array.from(Object.values(x as Record<string, unknown>), (v) => (typeof v === 'number' ? v : NaN));
  return new Float64Array(0);
}

function asMat(m: Mat | undefined): Mat | undefined {
  return m && { rows: m.rows, cols: m.cols, data: asFloat64(m.data) };
}

export function reviveResult(x: unknown): AnalysisResult {
  const r = x as AnalysisResult & { dLdh: unknown };
  if (Array.isArray(r.dLdh)) return resultFromJson(r);
  const gates = r.gates && Object.fromEntries(Object.entries(r.gates).map(([k, m]) => [k, asMat(m)]));
  return {
    ...r,
    grads: Object.fromEntries(Object.entries(r.grads ?? {}).map(([k, t]) => [k, { shape: t.shape, data: asFloat64(t.data) }])),
    lossPerStep: asFloat64(r.lossPerStep),
    dLdh: asMat(r.dLdh)!,
    hidden: asMat(r.hidden)!,
    cell: asMat(r.cell),
    gates,
    stepJacobian: asFloat64(r.stepJacobian),
    forgetMean: r.forgetMean && asFloat64(r.forgetMean),
    flow: { ...r.flow, matrix: r.flow.matrix.map(asFloat64) },
    whhByDistance: asFloat64(r.whhByDistance),
    input: asMat(r.input),
    target: asMat(r.target),
    layers: r.layers?.map((l) => ({ hidden: asMat(l.hidden)!, dLdh: asMat(l.dLdh)!, cell: asMat(l.cell), gates: l.gates && Object.fromEntries(Object.entries(l.gates).map(([k, m]) => [k, asMat(m)])) })),
  };
}
