// The model file (*.unroll.json): JSON with comments, checked against the same schema the editor uses
// (media/schemas/unroll-model.schema.json) by ajv, with every problem placed at its field by jsonc-parser.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { getNodeValue, type Node } from 'jsonc-parser';
import type {
  CellKind,
  InitKind,
  LossKind,
  Nonlinearity,
  OptimizerKind,
  Precision,
  TaskKind,
} from '../protocol/result';
import type { Problem } from '../protocol/messages';
import schema from '../../media/schemas/unroll-model.schema.json';
import { didYouMean, InputError, problem, quote, textPositions, warning, type Position } from './errors';
import { describeJsonType, nodeFinder, parseJsonTree, type JsonPath } from './jsonTree';
import { sequenceExtensionsInWords, WEIGHTS_EXTENSIONS } from './kinds';
import { GAIN_KINDS, MODEL_DEFAULTS } from './defaults';

/** A model file as written: only what it sets, already schema-checked. */
export interface ModelSpec {
  data: string;
  task?: TaskKind;
  inputs?: string[];
  targets?: string[];
  /** Task columns and seq-to-one: squared error (default) or cross-entropy over one-hot target columns. */
  loss?: LossKind;
  cell?: CellKind;
  nonlinearity?: Nonlinearity;
  hidden?: number;
  layers?: number;
  init?: { kind?: InitKind; spectralRadius?: number; forgetBias?: number; gain?: number };
  bptt?: 'full' | { truncate: number };
  optimizer?: { kind?: OptimizerKind; lr?: number; momentum?: number; beta1?: number; beta2?: number; eps?: number };
  clip?: { norm: number } | { value: number } | null;
  epochs?: number;
  batch?: number;
  validation?: number | string;
  window?: number;
  seed?: number;
  precision?: Precision;
  weights?: string;
  compare?: CellKind[];
}

export interface ParsedModelFile {
  spec: ModelSpec;
  file: string;
  /** Position of the value at a JSON path (e.g. ['inputs', 2]); the file's start when absent. */
  at(path: (string | number)[]): Position;
  warnings: Problem[];
}

type SchemaNode = { properties?: Record<string, SchemaNode>; description?: string; [k: string]: unknown };

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    // VS Code's completion reads this annotation; ajv only needs to know it is not a typo.
    ajv.addKeyword({ keyword: 'enumDescriptions', schemaType: 'array' });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

export function parseModelFile(text: string, file: string): ParsedModelFile {
  const root = parseJsonTree(text, file);
  const source: ModelText = { file, root, position: textPositions(text), find: nodeFinder(root) };
  const at = (path: JsonPath): Position => source.position((source.find(path) ?? root).offset);
  const duplicates = duplicateKeys(source);
  if (duplicates.length > 0) throw new InputError(duplicates);
  const value: unknown = getNodeValue(root);
  const validate = validator();
  if (!validate(value)) {
    const problems = relevantErrors(validate.errors ?? []).map((e) => describe(e, source, value));
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new InputError(problems);
  }
  // jsonc-parser builds objects without a prototype; plain ones print and compare as users expect.
  const spec = JSON.parse(JSON.stringify(value)) as ModelSpec;
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const usesColumns = spec.task === 'columns' || spec.task === 'seq-to-one';
  for (const key of ['inputs', 'targets'] as const) {
    if (spec[key] && !usesColumns) {
      problems.push(
        problem(
          file,
          at([key]),
          `"${key}" applies to task columns or seq-to-one, but the task is ${spec.task ?? 'chosen from the data (next-step or char-lm)'}`,
          'set "task": "columns" (or "seq-to-one"), or remove this field',
        ),
      );
    }
  }
  if (spec.task === 'columns' && (!spec.inputs || !spec.targets)) {
    problems.push(
      problem(
        file,
        at(['task']),
        `task columns needs "inputs" and "targets" (missing: ${[!spec.inputs && '"inputs"', !spec.targets && '"targets"'].filter(Boolean).join(' and ')})`,
        'name the input and target columns, e.g. "inputs": ["x"], "targets": ["y"]',
      ),
    );
  }
  if (spec.loss === 'xent' && usesColumns && (spec.targets?.length ?? 0) < 2) {
    problems.push(
      problem(
        file,
        at(spec.targets ? ['targets'] : ['loss']),
        `"loss": "xent" needs at least two target columns, one per class${spec.targets ? `; "targets" names ${spec.targets.length}` : ''}`,
        'name the one-hot target columns in "targets", e.g. "targets": ["y0", "y1", "y2"]',
      ),
    );
  }
  if (problems.length > 0) throw new InputError(problems);
  if (spec.nonlinearity === 'relu' && spec.cell && spec.cell !== 'rnn') {
    warnings.push(
      warning(file, at(['nonlinearity']), `"nonlinearity" applies to rnn cells only; the ${spec.cell} cell ignores it`),
    );
  }
  if (spec.init?.gain !== undefined && !GAIN_KINDS.includes(spec.init.kind ?? MODEL_DEFAULTS.init.kind)) {
    warnings.push(
      warning(
        file,
        at(['init', 'gain']),
        `"gain" applies to the ${GAIN_KINDS.join(' and ')} inits only; the ${spec.init.kind ?? MODEL_DEFAULTS.init.kind} init ignores it`,
      ),
    );
  }
  if (spec.init?.forgetBias !== undefined && spec.cell && spec.cell !== 'lstm') {
    warnings.push(
      warning(
        file,
        at(['init', 'forgetBias']),
        `"forgetBias" applies to lstm cells only; the ${spec.cell} cell ignores it`,
      ),
    );
  }
  return { spec, file, at, warnings };
}

/** A parsed model file and what problems need to place themselves in it (each lookup without a scan of the file). */
interface ModelText {
  file: string;
  root: Node;
  position(offset: number): Position;
  find(path: JsonPath): Node | undefined;
}

function duplicateKeys({ file, root, position }: ModelText): Problem[] {
  const found: Problem[] = [];
  const walk = (n: Node) => {
    if (n.type === 'object') {
      const seen = new Set<string>();
      for (const p of n.children ?? []) {
        const key = p.children?.[0];
        if (!key) continue;
        if (seen.has(key.value))
          found.push(
            problem(
              file,
              position(key.offset),
              `field ${quote(key.value)} appears twice`,
              'keep one of them; JSON readers disagree on which one wins',
            ),
          );
        seen.add(key.value);
      }
    }
    n.children?.forEach(walk);
  };
  walk(root);
  return found;
}

/**
 * ajv reports every failed branch of an anyOf. Keep the branch whose type matches the value (with the fewest
 * errors); when none matches, say which types are allowed.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  let result = errors;
  for (const choice of errors.filter((e) => e.keyword === 'anyOf')) {
    const prefix = choice.schemaPath + '/';
    const branches = new Map<string, ErrorObject[]>();
    for (const e of result) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0];
      const list = branches.get(branch);
      if (list) list.push(e);
      else branches.set(branch, [e]);
    }
    const matching = [...branches.values()].filter(
      (list) => !list.some((e) => e.keyword === 'type' && e.instancePath === choice.instancePath),
    );
    matching.sort((a, b) => a.length - b.length);
    const replacement: ErrorObject[] =
      matching.length > 0
        ? matching[0]
        : [
            {
              ...choice,
              keyword: 'type',
              params: {
                type: [...branches.values()].flatMap((list) =>
                  list.filter((e) => e.keyword === 'type').map((e) => e.params.type as string),
                ),
              },
            },
          ];
    result = [...result.filter((e) => e !== choice && !e.schemaPath.startsWith(prefix)), ...replacement];
  }
  // A value of the wrong type also fails its enum; the type is the one to fix.
  const wrongType = new Set(result.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return result.filter((e) => e.keyword !== 'enum' || !wrongType.has(e.instancePath));
}

function schemaAt(pointer: string): SchemaNode | undefined {
  let node: unknown = schema;
  for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node as SchemaNode | undefined;
}

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function firstSentence(text: string | undefined): string | undefined {
  return text?.split(/(?<=\.)\s/)[0];
}

const COMPARISON_WORDS: Record<string, string> = {
  '>=': 'at least',
  '>': 'greater than',
  '<=': 'at most',
  '<': 'less than',
};
const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  object: 'an object',
  array: 'a list',
  null: 'null',
  boolean: 'true or false',
};

function describe(e: ErrorObject, { file, root, position, find }: ModelText, value: unknown): Problem {
  const path = pathOf(e.instancePath);
  const name =
    path.length === 0
      ? 'the model file'
      : typeof path[path.length - 1] === 'number'
        ? `${quote(String(path.filter((p) => typeof p === 'string').pop()))} entry ${(path[path.length - 1] as number) + 1}`
        : quote(String(path[path.length - 1]));
  const node = find(path) ?? root;
  const here = position(node.offset);
  // The field's own description, not that of the anyOf branch that happened to fail.
  const fieldSchema = schemaAt(e.schemaPath.replace(/\/[^/]+$/, '').replace(/\/anyOf\/\d+$/, ''));
  const hint = firstSentence(fieldSchema?.description);
  const found = node === root && path.length > 0 ? 'nothing' : describeJsonType(node);
  // Only the messages that show the value print it (stringifying the whole file per problem was quadratic), cut short.
  const shown = () => {
    const at = path.reduce<unknown>((v, p) => (v as Record<string | number, unknown> | undefined)?.[p], value);
    return typeof at === 'string' ? quote(at) : String(JSON.stringify(at));
  };
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const keyNode = find([...path, key])?.parent?.children?.[0];
      const allowed = Object.keys(schemaAt(e.schemaPath.replace(/\/additionalProperties$/, ''))?.properties ?? {});
      const guess = didYouMean(key, allowed);
      return problem(
        file,
        keyNode ? position(keyNode.offset) : here,
        `unknown field ${quote(key)}${guess ? `; did you mean "${guess}"?` : ''}`,
        `allowed here: ${allowed.join(', ')}`,
      );
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      const description = firstSentence(
        schemaAt(`${e.schemaPath.replace(/\/required$/, '')}/properties/${missing}`)?.description,
      );
      return problem(file, here, `${path.length === 0 ? 'the model file' : name} is missing "${missing}"`, description);
    }
    case 'type': {
      const types = [
        ...new Set(([] as string[]).concat(e.params.type as string | string[]).map((t) => TYPE_WORDS[t] ?? t)),
      ];
      return problem(
        file,
        here,
        `${name} must be ${types.join(' or ')}, found ${found === 'a number' ? shown() : found}`,
        hint,
      );
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const guess = typeof node.value === 'string' ? didYouMean(node.value, allowed) : undefined;
      return problem(
        file,
        here,
        `${name} must be one of ${allowed.join(', ')}, found ${shown()}${guess ? `; did you mean "${guess}"?` : ''}`,
        hint,
      );
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return problem(
        file,
        here,
        `${name} must be ${COMPARISON_WORDS[e.params.comparison as string]} ${e.params.limit}, found ${shown()}`,
        hint,
      );
    case 'minLength':
    case 'minItems':
      return problem(file, here, `${name} must not be empty`, hint);
    case 'uniqueItems':
      return problem(
        file,
        here,
        `${name} lists the same value twice (entries ${Math.min(e.params.i, e.params.j) + 1} and ${Math.max(e.params.i, e.params.j) + 1})`,
        hint,
      );
    case 'pattern':
      return problem(
        file,
        here,
        `${name} must name ${path[0] === 'weights' ? `a ${WEIGHTS_EXTENSIONS.join(' or ')} weights file` : `a sequence file (${sequenceExtensionsInWords().replace(' and ', ' or ')})`}, found ${shown()}`,
        hint,
      );
    default:
      return problem(file, here, `${name} ${e.message ?? 'is invalid'}`, hint);
  }
}
