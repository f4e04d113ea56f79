// What a step's input and target were, in the words of the data: the character of a text (␣ for a space, ↵ for a
// newline), the marked number of the adding problem ("0.47●"), the symbol of a one-hot column ("x3"), or the value.
import type { AnalysisResult, Mat } from '../src/protocol';
import { fmt } from './format';

/** A character as it can be seen: spaces, newlines and tabs get visible stand-ins. */
export function visibleChar(c: string): string {
  if (c === ' ') return '␣';
  if (c === '\n') return '↵';
  if (c === '\r') return '␍';
  if (c === '\t') return '⇥';
  return c;
}

export interface StepLabel {
  text: string;
  /** The step carries the information the task is about (a marked number, a symbol, a character). */
  strong: boolean;
}

function row(m: Mat, t: number): number[] {
  return Array.from(m.data.subarray(t * m.cols, (t + 1) * m.cols));
}

function argmax(v: number[]): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Names of the columns that are 1 in a 0/1 row ("x3", "go"), or undefined when the row is not 0/1. */
function oneHotName(v: number[], names: string[] | undefined): string | undefined {
  if (!names || names.length !== v.length || !v.every((x) => x === 0 || x === 1)) return undefined;
  return names.filter((_, i) => v[i] === 1).join('+');
}

/** The label of x_t, or undefined when the Result does not carry its inputs. */
export function inputLabel(r: AnalysisResult, t: number): StepLabel | undefined {
  const m = r.input;
  if (!m || t >= m.rows || m.cols === 0) return undefined;
  const v = row(m, t);
  const vocab = r.meta.vocab;
  if (vocab && vocab.length === m.cols) return { text: visibleChar(vocab[argmax(v)] ?? '?'), strong: true };
  const names = r.meta.inputNames;
  const marker = names?.findIndex((n) => n.toLowerCase() === 'marker') ?? -1;
  if (names && marker >= 0 && names.length === m.cols && m.cols === 2) {
    const value = v[1 - marker];
    return v[marker] === 1 ? { text: `${fmt(value, 2)}●`, strong: true } : { text: fmt(value, 2), strong: false };
  }
  const hot = oneHotName(v, names);
  if (hot !== undefined) return { text: hot, strong: hot !== '' };
  if (m.cols === 1) return { text: fmt(v[0], 2), strong: false };
  return undefined;
}

/** The label of the target y_t, or undefined when the step has none (or the Result does not carry targets). */
export function targetLabel(r: AnalysisResult, t: number): StepLabel | undefined {
  const m = r.target;
  if (!m || t >= m.rows || m.cols === 0) return undefined;
  const v = row(m, t);
  if (v.every((x) => Number.isNaN(x))) return undefined;
  if (r.model.loss === 'xent') {
    const k = v[0];
    const vocab = r.meta.vocab;
    return { text: vocab && vocab[k] !== undefined ? visibleChar(vocab[k]) : `class ${k}`, strong: true };
  }
  const hot = oneHotName(v, r.meta.targetNames);
  if (hot !== undefined) return { text: hot || '0', strong: true };
  if (m.cols === 1) return { text: fmt(v[0], 2), strong: true };
  return { text: `[${v.map((x) => fmt(x, 2)).join(', ')}]`, strong: true };
}

/** Exact values for a tooltip: "x_t = [0.47, 1]". */
export function exactRow(m: Mat | undefined, t: number): string | undefined {
  if (!m || t >= m.rows) return undefined;
  const v = row(m, t);
  if (v.every((x) => Number.isNaN(x))) return undefined;
  return v.length === 1 ? String(v[0]) : `[${v.join(', ')}]`;
}
