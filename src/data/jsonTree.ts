// JSON (with comments) to a tree that remembers where every value is, so problems get a line and column.
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { InputError, positionInText, problem, type Position } from './errors';

export type { Node as JsonNode } from 'jsonc-parser';

/** Parse JSON with comments and trailing commas; every syntax error becomes a positioned problem. */
export function parseJsonTree(text: string, file: string): Node {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  if (errors.length > 0) {
    throw new InputError(
      // Later errors mostly follow from the first one, so show only that.
      errors.slice(0, 1).map((e) =>
        problem(file, positionInText(text, e.offset), `invalid JSON: ${describeParseError(printParseErrorCode(e.error))}`, 'check the brackets, commas and quotes around this position'),
      ),
    );
  }
  if (!root) throw new InputError([problem(file, { line: 1, column: 1 }, 'the file is empty', 'it should contain one JSON value')]);
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
  return { object: 'an object', array: 'a list', string: 'a string', number: 'a number', boolean: 'true/false', null: 'null', property: 'a field' }[node.type];
}

/** A rectangular nest of finite numbers (a number, a list of numbers, a list of lists …) as shape + flat values. */
export function readNumberNest(node: Node, text: string, file: string, what: string): { shape: number[]; values: Float64Array } {
  const shape: number[] = [];
  for (let n: Node | undefined = node; n?.type === 'array'; n = n.children?.[0]) shape.push(n.children?.length ?? 0);
  const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let next = 0;
  const walk = (n: Node, depth: number): void => {
    if (depth === shape.length) {
      if (n.type !== 'number') {
        throw new InputError([problem(file, nodePosition(text, n), `${what}: expected a number here, found ${describeJsonType(n)}`, depth === 0 ? undefined : `every entry at depth ${depth} must be a number`)]);
      }
      if (!Number.isFinite(n.value)) throw new InputError([problem(file, nodePosition(text, n), `${what}: ${n.value} is not a finite number`, 'NaN and Infinity cannot be analyzed; use finite values')]);
      values[next++] = n.value;
      return;
    }
    const expected = shape[depth];
    if (n.type !== 'array' || (n.children?.length ?? 0) !== expected) {
      const found = n.type === 'array' ? `a list of ${n.children?.length ?? 0}` : describeJsonType(n);
      throw new InputError([problem(file, nodePosition(text, n), `${what}: expected a list of ${expected} here (the first entry at this depth has ${expected}), found ${found}`, 'all rows must have the same length')]);
    }
    for (const c of n.children ?? []) walk(c, depth + 1);
  };
  walk(node, 0);
  return { shape, values };
}
