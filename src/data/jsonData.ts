// Sequences as JSON: a list of numbers (one feature), a list of vectors, a list of such sequences,
// { "inputs": …, "targets": … }, or a list of those. Every problem points at the offending value.
import { fail } from './errors';
import { describeJsonType, nodePosition, parseJsonTree, readNumberNest, valueNode, type JsonNode } from './jsonTree';
import type { Position } from './errors';

export interface SeriesSequence {
  /** T × D row-major. */
  values: Float64Array;
  T: number;
  at: Position;
}

export interface PairSequence {
  inputs: SeriesSequence;
  /** One entry per step (null = no target at that step), or a single entry: the target of the last step. */
  targets: (Float64Array | null)[];
  at: Position;
}

export type JsonData =
  | { kind: 'series'; D: number; sequences: SeriesSequence[] }
  | { kind: 'pairs'; D: number; O: number; sequences: PairSequence[] };

const FORMS = 'a list of numbers, a list of vectors, a list of sequences, { "inputs": …, "targets": … } or a list of those';

export function readJsonData(text: string, file: string): JsonData {
  const root = parseJsonTree(text, file);
  const list = root.type === 'array' ? root.children ?? [] : [root];
  if (root.type === 'array' && list.length === 0) fail(file, nodePosition(text, root), 'the list is empty: no steps to analyze', `expected ${FORMS}`);
  const first = list[0];
  if (first.type === 'object') return readPairs(list, text, file);
  if (root.type !== 'array') fail(file, nodePosition(text, root), `expected ${FORMS}, found ${describeJsonType(root)}`, 'see the Unroll README for examples');
  const nested = first.type === 'array' && first.children?.[0]?.type === 'array';
  const sequences = nested ? list.map((n) => readSeries(n, text, file)) : [readSeries(root, text, file)];
  return { kind: 'series', D: checkSameWidth(sequences, text, file, list), sequences };
}

function readSeries(node: JsonNode, text: string, file: string): SeriesSequence {
  const { shape, values } = readNumberNest(node, text, file, 'sequence');
  const at = nodePosition(text, node);
  if (shape.length === 0 || shape.length > 2) {
    fail(file, at, `expected a list of numbers or of vectors here, found ${shape.length === 0 ? 'a single number' : `${shape.length} levels of lists`}`, `expected ${FORMS}`);
  }
  if (shape[0] === 0) fail(file, at, 'this sequence is empty', 'give it at least one step');
  if (shape.length === 2 && shape[1] === 0) fail(file, at, 'the vectors in this sequence are empty', 'each step needs at least one number');
  return { values, T: shape[0], at };
}

function checkSameWidth(sequences: SeriesSequence[], text: string, file: string, nodes: JsonNode[]): number {
  const width = (s: SeriesSequence) => s.values.length / s.T;
  const D = width(sequences[0]);
  sequences.forEach((s, i) => {
    if (width(s) !== D) fail(file, nodePosition(text, nodes[i]), `this sequence has ${width(s)} features per step, the first has ${D}`, 'all sequences need the same number of features');
  });
  return D;
}

function readPairs(list: JsonNode[], text: string, file: string): JsonData {
  const sequences = list.map((node): PairSequence => {
    const at = nodePosition(text, node);
    if (node.type !== 'object') fail(file, at, `expected { "inputs": …, "targets": … } here like the first entry, found ${describeJsonType(node)}`, 'every entry must have the same form');
    for (const property of node.children ?? []) {
      const key = String(property.children?.[0]?.value);
      if (key !== 'inputs' && key !== 'targets') fail(file, nodePosition(text, property), `unknown field "${key}"`, 'a sequence object has "inputs" and "targets"');
    }
    const inputsNode = valueNode(node, 'inputs');
    const targetsNode = valueNode(node, 'targets');
    if (!inputsNode || !targetsNode) fail(file, at, `missing "${inputsNode ? 'targets' : 'inputs'}"`, 'a sequence object has "inputs" (one entry per step) and "targets"');
    const inputs = readSeries(inputsNode, text, file);
    if (targetsNode.type !== 'array' || (targetsNode.children?.length ?? 0) === 0) {
      fail(file, nodePosition(text, targetsNode), `"targets" must be a non-empty list, found ${describeJsonType(targetsNode)}`, 'one target per step (null = none), or a single one for the last step');
    }
    const targetNodes = targetsNode.children ?? [];
    if (targetNodes.length !== 1 && targetNodes.length !== inputs.T) {
      fail(file, nodePosition(text, targetsNode), `"targets" has ${targetNodes.length} entries, "inputs" has ${inputs.T} steps`, 'give one target per step (null where there is none), or a single target for the last step');
    }
    const targets = targetNodes.map((t) => (t.type === 'null' ? null : readNumberNest(t, text, file, 'target').values));
    return { inputs, targets, at };
  });
  const D = checkSameWidth(sequences.map((s) => s.inputs), text, file, list);
  let O = -1;
  sequences.forEach((s, i) => {
    const targetList = valueNode(list[i], 'targets')!.children ?? [];
    s.targets.forEach((t, j) => {
      if (t === null) return;
      if (O === -1) O = t.length;
      if (t.length !== O || O === 0) fail(file, nodePosition(text, targetList[j]), `this target has ${t.length} values, the first has ${O}`, 'every target needs the same number of values');
    });
  });
  if (O === -1) fail(file, sequences[0].at, 'no targets: every entry of "targets" is null', 'give at least one target');
  return { kind: 'pairs', D, O, sequences };
}
