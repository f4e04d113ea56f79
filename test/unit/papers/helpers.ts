// The paper examples loaded from memory and analyzed with every flow row, plus small linear algebra written here,
// independent of the engine, so the checks compare Unroll with the papers' numbers rather than with itself.
import { paperExampleSet, type PaperExampleName } from '../../../src/data/paperExamples';
import { loadAnalysis, type LoadedAnalysis } from '../../../src/data';
import type { EngineSettings } from '../../../src/protocol/messages';
import type { AnalysisResult } from '../../../src/protocol/result';
import { runAnalyze } from '../../../src/worker/jobs';
import { initParams } from '../../../src/engine';
import type { ParamSet } from '../../../src/engine/types';
import { memoryFiles } from '../data/helpers';

/** A flow budget large enough for every row of every paper example. */
export const SETTINGS: EngineSettings = {
  maxSteps: 512,
  flowBudget: 1000,
  defaultCell: 'rnn',
  maxMemoryMB: 2048,
  maxWork: 30,
};

/** The files of one paper example under /w, with model files changed by `edit` (name → new text). */
export function paperFiles(name: PaperExampleName, edit: Record<string, string> = {}) {
  const entries: Record<string, string> = {};
  for (const f of paperExampleSet(name)) entries[`/w/${f.name}`] = f.contents;
  for (const [file, text] of Object.entries(edit)) entries[`/w/${file}`] = text;
  return memoryFiles(entries);
}

export async function analyzePaper(
  name: PaperExampleName,
  modelFile: string,
  edit: Record<string, string> = {},
): Promise<AnalysisResult> {
  const { result, warnings } = await runAnalyze(
    { path: `/w/${modelFile}`, workspaceRoot: '/w' },
    SETTINGS,
    paperFiles(name, edit),
  );
  if (warnings.length > 0) throw new Error(`${modelFile}: ${warnings.map((w) => w.message).join('; ')}`);
  if (!result.flow.exact) throw new Error(`${modelFile}: not every flow row was computed`);
  return result;
}

/** The loaded example and the weights an analysis of it uses (the weights file, or the seeded initialization). */
export async function loadPaper(
  name: PaperExampleName,
  modelFile: string,
  edit: Record<string, string> = {},
): Promise<{ loaded: LoadedAnalysis; params: ParamSet }> {
  const loaded = await loadAnalysis({ path: `/w/${modelFile}`, workspaceRoot: '/w' }, SETTINGS, paperFiles(name, edit));
  return { loaded, params: loaded.params ?? initParams(loaded.model) };
}

/** The flow row of the last step: ‖∂ℓ_T/∂h_k‖ for k = 0 … T. */
export function lastFlowRow(result: AnalysisResult): Float64Array {
  return result.flow.matrix[result.flow.matrix.length - 1];
}

/** The first distance d at which row[T − d] / row[T] falls below `fraction`, or null. */
export function firstBelow(row: Float64Array, fraction: number): number | null {
  const T = row.length - 1;
  for (let d = 1; d <= T; d++) if (row[T - d] < fraction * row[T]) return d;
  return null;
}

/**
 * Eigenvalues of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations: slow and simple, accurate to
 * round-off, and sharing nothing with the engine's eigen.ts.
 */
export function symmetricEigenvalues(matrix: ArrayLike<number>, n: number): number[] {
  const a = Array.from(matrix);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p],
            akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k],
            aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]);
}

/** σ_max of an n×n matrix: the square root of the largest eigenvalue of WᵀW. */
export function largestSingularValue(w: ArrayLike<number>, n: number): number {
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += w[k * n + i] * w[k * n + j];
      gram[i * n + j] = s;
    }
  return Math.sqrt(Math.max(...symmetricEigenvalues(gram, n)));
}
