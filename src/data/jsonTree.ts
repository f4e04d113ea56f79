// JSON (with comments) to a tree that remembers where every value is, so problems get a line and column.
import { createScanner, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { fail, InputError, multiIndex, positionInText, problem, type Position } from './errors';

export type { Node as JsonNode } from 'jsonc-parser';

/**
 * Nesting refused past this depth, before parsing: the parsers recurse, and 5,000 levels overflowed the stack.
 * Model and weights files need 3 or 4 levels.
 */
export const MAX_JSON_DEPTH = 64;

/** jsonc-parser's SyntaxKind values (a const enum, which isolatedModules cannot import). */
const TOKEN = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, comma: 5, string: 10, end: 17 } as const;

export interface JsonOutline {
  /** Offset of the first bracket that opens a level past the depth limit, if any (the scan stops there). */
  tooDeep?: number;
  /** The keys of the root object in file order, duplicates included, with their offsets. */
  keys: { name: string; offset: number }[];
}

/** One pass of jsonc-parser's scanner, which does not recurse: how deep the text nests and the root object's keys. */
export function outlineJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonOutline {
  const scanner = createScanner(text, true);
  const keys: JsonOutline['keys'] = [];
  let depth = 0;
  let rootIsObject = false;
  // A string at depth 1 of the root object is a key when it follows "{" or ",".
  let keyExpected = false;
  for (let token = scanner.scan(); token !== TOKEN.end; token = scanner.scan()) {
    if (token === TOKEN.openBrace || token === TOKEN.openBracket) {
      if (depth === 0 && token === TOKEN.openBrace) rootIsObject = true;
      if (++depth > maxDepth) return { tooDeep: scanner.getTokenOffset(), keys };
    } else if (token === TOKEN.closeBrace || token === TOKEN.closeBracket) depth--;
    else if (token === TOKEN.string && keyExpected && depth === 1 && rootIsObject)
      keys.push({ name: scanner.getTokenValue(), offset: scanner.getTokenOffset() });
    keyExpected = depth === 1 && (token === TOKEN.openBrace || token === TOKEN.comma);
  }
  return { keys };
}

/** Refuse nesting past MAX_JSON_DEPTH, pointing at the first bracket too deep. */
export function refuseDeepJson(outline: JsonOutline, file: string, at: (offset: number) => Position): void {
  if (outline.tooDeep !== undefined) {
    fail(
      file,
      at(outline.tooDeep),
      `the JSON nests deeper than ${MAX_JSON_DEPTH} levels here`,
      'no file Unroll reads needs more than a few levels; check that this is the file you meant',
    );
  }
}

/** Parse JSON with comments and trailing commas; every syntax error becomes a positioned problem. */
export function parseJsonTree(text: string, file: string): Node {
  refuseDeepJson(outlineJson(text), file, (offset) => positionInText(text, offset));
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  if (errors.length > 0) {
    throw new InputError(
      // Later errors mostly follow from the first one, so show only that.
      errors
        .slice(0, 1)
        .map((e) =>
          problem(
            file,
            positionInText(text, e.offset),
            `invalid JSON: ${describeParseError(printParseErrorCode(e.error))}`,
            'check the brackets, commas and quotes around this position',
          ),
        ),
    );
  }
  if (!root)
    throw new InputError([
      problem(file, { line: 1, column: 1 }, 'the file is empty', 'it should contain one JSON value'),
    ]);
  return root;
}

function describeParseError(code: string): string {
  // printParseErrorCode gives names like "CommaExpected"; spell them as words.
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function nodePosition(text: string, node: Node): Position {
  return positionInText(text, node.offset);
}

export type JsonPath = (string | number)[];

/**
 * Finds a value by its path (the root for []), as jsonc-parser's findNodeAtLocation does (the first of duplicate
 * keys wins), but each object's keys are indexed on first use: a lookup per key made 60,000 keys quadratic.
 */
export function nodeFinder(root: Node): (path: JsonPath) => Node | undefined {
  const indexes = new Map<Node, Map<string, Node>>();
  const indexOf = (object: Node) => {
    let index = indexes.get(object);
    if (!index) {
      index = new Map();
      for (const property of object.children ?? []) {
        const [key, value] = property.children ?? [];
        if (key && value && !index.has(key.value)) index.set(key.value, value);
      }
      indexes.set(object, index);
    }
    return index;
  };
  return (path) => {
    let node: Node | undefined = root;
    for (const segment of path) {
      if (typeof segment === 'number') node = node?.type === 'array' ? node.children?.[segment] : undefined;
      else node = node?.type === 'object' ? indexOf(node).get(segment) : undefined;
    }
    return node;
  };
}

/** The property node (key + value) of `key` in an object node, if present. */
export function propertyNode(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key);
}

/** The value node of `key` in an object node, if present. */
export function valueNode(object: Node, key: string): Node | undefined {
  return propertyNode(object, key)?.children?.[1];
}

export function describeJsonType(node: Node): string {
  if (node.type === 'number' && !Number.isFinite(node.value)) return 'a number out of range';
  return {
    object: 'an object',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    boolean: 'true/false',
    null: 'null',
    property: 'a field',
  }[node.type];
}

/**
 * A rectangular nest of finite numbers (a number, a list of numbers, a list of lists …) as shape + flat values.
 * The walk recurses once per level, and parseJsonTree has already refused more than MAX_JSON_DEPTH levels.
 */
export function readNumberNest(
  node: Node,
  text: string,
  file: string,
  what: string,
): { shape: number[]; values: Float64Array } {
  const shape: number[] = [];
  for (let n: Node | undefined = node; n?.type === 'array'; n = n.children?.[0]) shape.push(n.children?.length ?? 0);
  const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let next = 0;
  const walk = (n: Node, depth: number): void => {
    if (depth === shape.length) {
      if (n.type !== 'number') {
        throw new InputError([
          problem(
            file,
            nodePosition(text, n),
            `${what}: expected a number here, found ${describeJsonType(n)}`,
            depth === 0 ? undefined : `every entry at depth ${depth} must be a number`,
          ),
        ]);
      }
      if (!Number.isFinite(n.value)) {
        const index = shape.length > 0 ? ` (index [${multiIndex(next, shape).join(', ')}])` : '';
        throw new InputError([
          problem(
            file,
            nodePosition(text, n),
            `${what}: element ${next}${index} is ${n.value}, not a finite number`,
            'NaN and Infinity cannot be analyzed; use finite values',
          ),
        ]);
      }
      values[next++] = n.value;
      return;
    }
    const expected = shape[depth];
    if (n.type !== 'array' || (n.children?.length ?? 0) !== expected) {
      const found = n.type === 'array' ? `a list of ${n.children?.length ?? 0}` : describeJsonType(n);
      throw new InputError([
        problem(
          file,
          nodePosition(text, n),
          `${what}: expected a list of ${expected} here (the first entry at this depth has ${expected}), found ${found}`,
          'all rows must have the same length',
        ),
      ]);
    }
    for (const c of n.children ?? []) walk(c, depth + 1);
  };
  walk(node, 0);
  return { shape, values };
}
