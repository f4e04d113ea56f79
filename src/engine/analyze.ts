import type { AnalysisResult, ResolvedModel, ResultMeta } from '../protocol/result';
import type { ParamSet, SequenceData } from './types';

export interface AnalyzeOptions {
  /** Budget for the flow matrix in step-Jacobian products; all rows are exact while T(T+1)/2 fits. Default 200000. */
  flowBudget?: number;
  /** Filled into result.meta (the engine adds elapsedMs and engineVersion, steps). */
  meta: Omit<ResultMeta, 'elapsedMs' | 'engineVersion' | 'steps'>;
}

/** Forward + BPTT (full or truncated per model.bptt) on one sequence, with every diagnostic of the Result. */
export function analyze(model: ResolvedModel, params: ParamSet, seq: SequenceData, options: AnalyzeOptions): AnalysisResult {
  throw new Error('not implemented' + model.cell + params.size + seq.T + options);
}
