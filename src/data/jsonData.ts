// Sequences as JSON: a list of numbers (one feature), a list of vectors, a list of such sequences,
// { "inputs": …, "targets": … }, or a list of those. Every problem points at the offending value.
// Plain numeric lists (the large files) are read by an iterative scanner straight into one flat array; anything else,
// and every problem, goes through the tree, which knows where each value is. The scan also bounds the nesting
// depth first, so no deep file reaches the recursive parts.
import { createScanner, type SyntaxKind } from 'jsonc-parser';
import { fail, positionInText } from './errors';
import { Growing } from './growing';
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

/** Plain sequences in one flat array: sequence n is rows starts[n] … starts[n+1] − 1, D numbers a row. */
export interface JsonSeries {
  kind: 'series';
  D: number;
  values: Float64Array;
  starts: Int32Array;
  /** Where sequence n is written, for problems about it. */
  at(n: number): Position;
}

export type JsonData = JsonSeries | { kind: 'pairs'; D: number; O: number; sequences: PairSequence[] };

/** Data nests at most 4 levels (a list of { "inputs": [[…]] }); far deeper is refused before anything recurses. */
export const MAX_JSON_DEPTH = 64;

const FORMS =
  'a list of numbers, a list of vectors, a list of sequences, { "inputs": …, "targets": … } or a list of those';

export function readJsonData(text: string, file: string): JsonData {
  const plain = scanPlainSeries(text, file);
  if (plain) return plain;
  const root = parseJsonTree(text, file);
  const list = root.type === 'array' ? (root.children ?? []) : [root];
  if (root.type === 'array' && list.length === 0)
    fail(file, nodePosition(text, root), 'the list is empty: no steps to analyze', `expected ${FORMS}`);
  const first = list[0];
  if (first.type === 'object') return readPairs(list, text, file);
  if (root.type !== 'array')
    fail(
      file,
      nodePosition(text, root),
      `expected ${FORMS}, found ${describeJsonType(root)}`,
      'see the Unroll README for examples',
    );
  const nested = first.type === 'array' && first.children?.[0]?.type === 'array';
  const sequences = nested ? list.map((n) => readSeries(n, text, file)) : [readSeries(root, text, file)];
  const D = checkSameWidth(sequences, text, file, list);
  const starts = new Int32Array(sequences.length + 1);
  sequences.forEach((s, n) => (starts[n + 1] = starts[n] + s.T));
  const values = new Float64Array(starts[sequences.length] * D);
  sequences.forEach((s, n) => values.set(s.values, starts[n] * D));
  return { kind: 'series', D, values, starts, at: (n) => sequences[n].at };
}

/** jsonc-parser's token kinds (its const enum cannot be read under isolatedModules). */
const TOKEN = {
  openBrace: 1,
  closeBrace: 2,
  openBracket: 3,
  closeBracket: 4,
  comma: 5,
  number: 11,
  end: 17,
} satisfies Record<string, SyntaxKind>;

/**
 * A list of numbers, of vectors or of sequences of vectors (rank 1, 2, 3: the depth of its numbers), read token by
 * token into flat arrays; undefined for anything else (objects, strings, ragged or empty lists, trailing commas,
 * syntax errors), which the tree reader then reads or explains. Refuses nesting deeper than MAX_JSON_DEPTH.
 */
function scanPlainSeries(text: string, file: string): JsonSeries | undefined {
  const scanner = createScanner(text, true);
  const values = new Growing(new Float64Array(1024));
  const starts = new Growing(new Int32Array(16));
  const offsets = new Growing(new Int32Array(16));
  let plain = true;
  let depth = 0;
  let rank = 0;
  let D = 0;
  let inVector = 0;
  let closedRoot = false;
  let rootOffset = 0;
  /** What may come next: a value or ']' (after '['), a value (after ','), ',' or ']' (after a value). */
  let expect: 'first' | 'value' | 'more' = 'value';
  for (let token = scanner.scan(); token !== TOKEN.end; token = scanner.scan()) {
    if (token === TOKEN.openBracket || token === TOKEN.openBrace) {
      if (++depth > MAX_JSON_DEPTH) {
        fail(
          file,
          positionInText(text, scanner.getTokenOffset()),
          `the JSON is nested more than ${MAX_JSON_DEPTH} levels deep`,
          'sequence data nests at most 4 levels: a list of { "inputs": [[…]], "targets": […] }',
        );
      }
    } else if (token === TOKEN.closeBracket || token === TOKEN.closeBrace) depth--;
    if (!plain) continue;
    if (scanner.getTokenError() !== 0 || closedRoot) plain = false;
    else if (token === TOKEN.openBracket) {
      if (expect === 'more' || depth > 3) plain = false;
      else if (depth === 1) rootOffset = scanner.getTokenOffset();
      else if (rank === 3 && depth === 2) {
        starts.push(values.length / Math.max(D, 1));
        offsets.push(scanner.getTokenOffset());
      } else if (depth === 2 && rank === 0) {
        // The first sequence of a rank-3 list, or the first vector of a rank-2 one: decided by the next token.
        offsets.push(scanner.getTokenOffset());
      }
      inVector = 0;
      expect = 'first';
    } else if (token === TOKEN.closeBracket) {
      if (expect === 'value' || expect === 'first') plain = false;
      else if (rank >= 2 && depth + 1 === rank) {
        if (D === 0) D = inVector;
        if (inVector !== D) plain = false;
        inVector = 0;
      }
      if (depth === 0) closedRoot = true;
      expect = 'more';
    } else if (token === TOKEN.number) {
      if (expect === 'more') plain = false;
      if (rank === 0) {
        rank = depth;
        if (rank === 3) starts.push(0);
        else offsets.length = 0;
      }
      const v = Number(scanner.getTokenValue());
      if (depth !== rank || !Number.isFinite(v)) plain = false;
      values.push(v);
      inVector++;
      expect = 'more';
    } else if (token === TOKEN.comma) {
      if (expect !== 'more') plain = false;
      expect = 'value';
    } else plain = false;
  }
  if (!plain || !closedRoot || rank === 0) return undefined;
  if (rank === 1) D = 1;
  const rows = values.length / D;
  if (rank < 3) {
    starts.length = 0;
    starts.push(0);
    offsets.length = 0;
    offsets.push(rootOffset);
  }
  starts.push(rows);
  for (let n = 0; n + 1 < starts.length; n++) if (starts.data[n + 1] === starts.data[n]) return undefined;
  const sequenceOffsets = offsets.data.slice(0, starts.length - 1);
  return {
    kind: 'series',
    D,
    values: values.done(),
    starts: starts.done(),
    at: (n) => positionInText(text, sequenceOffsets[n]),
  };
}

function readSeries(node: JsonNode, text: string, file: string): SeriesSequence {
  const { shape, values } = readNumberNest(node, text, file, 'sequence');
  const at = nodePosition(text, node);
  if (shape.length === 0 || shape.length > 2) {
    fail(
      file,
      at,
      `expected a list of numbers or of vectors here, found ${shape.length === 0 ? 'a single number' : `${shape.length} levels of lists`}`,
      `expected ${FORMS}`,
    );
  }
  if (shape[0] === 0) fail(file, at, 'this sequence is empty', 'give it at least one step');
  if (shape.length === 2 && shape[1] === 0)
    fail(file, at, 'the vectors in this sequence are empty', 'each step needs at least one number');
  return { values, T: shape[0], at };
}

function checkSameWidth(sequences: SeriesSequence[], text: string, file: string, nodes: JsonNode[]): number {
  const width = (s: SeriesSequence) => s.values.length / s.T;
  const D = width(sequences[0]);
  sequences.forEach((s, i) => {
    if (width(s) !== D)
      fail(
        file,
        nodePosition(text, nodes[i]),
        `this sequence has ${width(s)} features per step, the first has ${D}`,
        'all sequences need the same number of features',
      );
  });
  return D;
}

function readPairs(list: JsonNode[], text: string, file: string): JsonData {
  const sequences = list.map((node): PairSequence => {
    const at = nodePosition(text, node);
    if (node.type !== 'object')
      fail(
        file,
        at,
        `expected { "inputs": …, "targets": … } here like the first entry, found ${describeJsonType(node)}`,
        'every entry must have the same form',
      );
    for (const property of node.children ?? []) {
      const key = String(property.children?.[0]?.value);
      if (key !== 'inputs' && key !== 'targets')
        fail(
          file,
          nodePosition(text, property),
          `unknown field "${key}"`,
          'a sequence object has "inputs" and "targets"',
        );
    }
    const inputsNode = valueNode(node, 'inputs');
    const targetsNode = valueNode(node, 'targets');
    if (!inputsNode || !targetsNode)
      fail(
        file,
        at,
        `missing "${inputsNode ? 'targets' : 'inputs'}"`,
        'a sequence object has "inputs" (one entry per step) and "targets"',
      );
    const inputs = readSeries(inputsNode, text, file);
    if (targetsNode.type !== 'array' || (targetsNode.children?.length ?? 0) === 0) {
      fail(
        file,
        nodePosition(text, targetsNode),
        `"targets" must be a non-empty list, found ${describeJsonType(targetsNode)}`,
        'one target per step (null = none), or a single one for the last step',
      );
    }
    const targetNodes = targetsNode.children ?? [];
    if (targetNodes.length !== 1 && targetNodes.length !== inputs.T) {
      fail(
        file,
        nodePosition(text, targetsNode),
        `"targets" has ${targetNodes.length} entries, "inputs" has ${inputs.T} steps`,
        'give one target per step (null where there is none), or a single target for the last step',
      );
    }
    const targets = targetNodes.map((t) => (t.type === 'null' ? null : readNumberNest(t, text, file, 'target').values));
    return { inputs, targets, at };
  });
  const D = checkSameWidth(
    sequences.map((s) => s.inputs),
    text,
    file,
    list,
  );
  let O = -1;
  sequences.forEach((s, i) => {
    const targetList = valueNode(list[i], 'targets')!.children ?? [];
    s.targets.forEach((t, j) => {
      if (t === null) return;
      if (O === -1) O = t.length;
      if (t.length !== O || O === 0)
        fail(
          file,
          nodePosition(text, targetList[j]),
          `this target has ${t.length} values, the first has ${O}`,
          'every target needs the same number of values',
        );
    });
  });
  if (O === -1) fail(file, sequences[0].at, 'no targets: every entry of "targets" is null', 'give at least one target');
  return { kind: 'pairs', D, O, sequences };
}
