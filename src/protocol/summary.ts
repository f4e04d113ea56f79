// Words for a Result: the panel's headline sentence, the status bar's health line and the CLI's summary share these.
import type { AnalysisResult } from './result';

/** One sentence a person reads first, e.g. "The gradient from step t reaches about 12 steps back before falling below 1/1000 …". */
export function summarize(r: AnalysisResult): string {
  throw new Error('not implemented' + r.loss);
}

/** Short status-bar text, e.g. "∇ horizon 12 steps · σmax 0.81". */
export function healthLine(r: AnalysisResult): string {
  throw new Error('not implemented' + r.loss);
}
