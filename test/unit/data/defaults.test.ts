// Defaults = the schema's: the resolver fills a model file's absent fields from one table (src/data/defaults.ts), and
// the schema the editor shows (media/schemas/unroll-model.schema.json) says the same thing, field by field.
import assert from 'node:assert/strict';
import schema from '../../../media/schemas/unroll-model.schema.json';
import { loadAnalysis } from '../../../src/data';
import { initParams } from '../../../src/engine';
import { CONTEXTUAL_DEFAULTS, EPS_DEFAULTS, GAIN_KINDS, MODEL_DEFAULTS } from '../../../src/data/defaults';
import type { EngineSettings } from '../../../src/protocol/messages';
import type { ResolvedModel } from '../../../src/protocol/result';
import { memoryFiles } from './helpers';

type SchemaNode = { default?: unknown; description?: string; properties?: Record<string, SchemaNode> };

/** Every field of the schema, nested ones as `init.kind`, with its node. */
function schemaFields(node: SchemaNode = schema as SchemaNode, prefix = ''): [string, SchemaNode][] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => [
    [prefix + key, child] as [string, SchemaNode],
    ...schemaFields(child, `${prefix}${key}.`),
  ]);
}

function tableAt(path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (at, key) =>
        at && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined,
      MODEL_DEFAULTS,
    );
}

/** The table's leaves (arrays are values), nested ones as `optimizer.lr`. */
function tableLeaves(value: unknown = MODEL_DEFAULTS, prefix = ''): [string, unknown][] {
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? tableLeaves(v, `${prefix}${key}.`)
      : [[prefix + key, v] as [string, unknown]],
  );
}

/** Fields with no default at all: required, or absent means "not used" (no rescaling, no forget bias, fresh weights). */
const NO_DEFAULT = ['$schema', 'data', 'weights', 'init.spectralRadius', 'init.forgetBias'];

const fields = new Map(schemaFields());

describe("defaults = the schema's", () => {
  it("every default in the schema is the table's", () => {
    const withDefault = [...fields].filter(([, node]) => 'default' in node);
    assert.ok(withDefault.length >= 15, `only ${withDefault.length} defaults found: is the schema walked?`);
    for (const [path, node] of withDefault) {
      const expected = tableAt(path);
      if (node.default !== null && typeof node.default === 'object' && !Array.isArray(node.default)) {
        // An object's default (what the editor inserts) sets some of its fields: each as the table has it.
        for (const [key, v] of Object.entries(node.default))
          assert.deepEqual(v, tableAt(`${path}.${key}`), `schema ${path}.default.${key}`);
      } else assert.deepEqual(node.default, expected, `schema ${path}.default`);
    }
  });

  it("every default in the table is the schema's default of that field", () => {
    for (const [path, value] of tableLeaves()) {
      assert.ok(fields.has(path), `the table has ${path}; the schema has no such field`);
      assert.deepEqual(fields.get(path)!.default, value, `schema ${path}.default`);
    }
  });

  it('a default that depends on something else is said in the description, never given as a fixed default', () => {
    for (const path of CONTEXTUAL_DEFAULTS) {
      const node = fields.get(path);
      assert.ok(node, `no field ${path} in the schema`);
      assert.equal(
        'default' in node,
        false,
        `${path} has a fixed default in the schema, but it depends on the data or the settings`,
      );
      assert.match(node.description ?? '', /default/i, `${path}: the description says what the default is`);
    }
    const eps = fields.get('optimizer.eps')!.description!;
    for (const [kind, value] of Object.entries(EPS_DEFAULTS))
      assert.ok(eps.includes(String(value)) && eps.includes(kind), `optimizer.eps: ${kind} ${value} in "${eps}"`);
  });

  it('every field of the schema is classified: a fixed default, a default that depends, or none', () => {
    const classified = new Set<string>([
      ...tableLeaves().map(([p]) => p),
      ...Object.keys(MODEL_DEFAULTS),
      ...CONTEXTUAL_DEFAULTS,
      ...NO_DEFAULT,
    ]);
    const unclassified = [...fields.keys()].filter((path) => !classified.has(path));
    assert.deepEqual(
      unclassified,
      [],
      'add the field to MODEL_DEFAULTS or CONTEXTUAL_DEFAULTS (src/data/defaults.ts), or to NO_DEFAULT here',
    );
  });

  describe('the resolver fills absent fields from the table', () => {
    const settings: EngineSettings = {
      maxSteps: 512,
      flowBudget: 1,
      defaultCell: 'gru',
      maxMemoryMB: 2048,
      maxWork: 30,
    };
    const resolve = async (
      model: Record<string, unknown>,
      data = { name: 'sine.csv', text: 'value\n0\n1\n0\n-1\n0\n' },
    ): Promise<ResolvedModel> => {
      const files = memoryFiles({
        [`/w/${data.name}`]: data.text,
        '/w/m.unroll.json': JSON.stringify({ data: data.name, ...model }),
      });
      return (await loadAnalysis({ path: '/w/m.unroll.json', workspaceRoot: '/w' }, settings, files)).model;
    };

    it('a model file that gives only its data', async () => {
      const m = await resolve({});
      const d = MODEL_DEFAULTS;
      assert.deepEqual(
        {
          nonlinearity: m.nonlinearity,
          hidden: m.hidden,
          layers: m.layers,
          init: m.init,
          bptt: m.bptt,
          clip: m.clip,
          epochs: m.epochs,
          batch: m.batch,
          seed: m.seed,
          precision: m.precision,
          compare: m.compare,
        },
        {
          nonlinearity: d.nonlinearity,
          hidden: d.hidden,
          layers: d.layers,
          init: { kind: d.init.kind },
          bptt: { truncate: null },
          clip: d.clip,
          epochs: d.epochs,
          batch: d.batch,
          seed: d.seed,
          precision: d.precision,
          compare: undefined,
        },
      );
      assert.deepEqual(m.optimizer, {
        kind: d.optimizer.kind,
        lr: d.optimizer.lr,
        beta1: d.optimizer.beta1,
        beta2: d.optimizer.beta2,
        eps: EPS_DEFAULTS.adam,
      });
      assert.equal(m.cell, settings.defaultCell, "the cell is the setting's");
    });

    it('each optimizer gets its own defaults', async () => {
      assert.deepEqual((await resolve({ optimizer: { kind: 'momentum' } })).optimizer, {
        kind: 'momentum',
        lr: MODEL_DEFAULTS.optimizer.lr,
        momentum: MODEL_DEFAULTS.optimizer.momentum,
      });
      assert.deepEqual((await resolve({ optimizer: { kind: 'adagrad', lr: 0.1 } })).optimizer, {
        kind: 'adagrad',
        lr: 0.1,
        eps: EPS_DEFAULTS.adagrad,
      });
      assert.deepEqual((await resolve({ optimizer: { kind: 'rmsprop' } })).optimizer, {
        kind: 'rmsprop',
        lr: MODEL_DEFAULTS.optimizer.lr,
        eps: EPS_DEFAULTS.rmsprop,
      });
      assert.deepEqual((await resolve({ optimizer: { kind: 'sgd' } })).optimizer, {
        kind: 'sgd',
        lr: MODEL_DEFAULTS.optimizer.lr,
      });
    });

    it('init gain where it applies', async () => {
      for (const kind of GAIN_KINDS)
        assert.deepEqual((await resolve({ init: { kind } })).init, { kind, gain: MODEL_DEFAULTS.init.gain });
      assert.deepEqual((await resolve({ init: { kind: 'xavier', gain: 2 } })).init, { kind: 'xavier', gain: 2 });
      assert.deepEqual((await resolve({ init: { kind: 'identity' } })).init, { kind: 'identity' });
    });

    it('the loss of task columns', async () => {
      const m = await resolve(
        { task: 'columns', inputs: ['x'], targets: ['y'] },
        { name: 'xy.csv', text: 'x,y\n0,1\n1,0\n0,1\n' },
      );
      assert.equal(m.loss, MODEL_DEFAULTS.loss);
    });
  });

  describe('init.gain, which the schema documents, scales the init', () => {
    const model = (init: ResolvedModel['init']): ResolvedModel => ({
      cell: 'lstm',
      nonlinearity: 'tanh',
      inputSize: 2,
      hidden: 3,
      outputSize: 1,
      layers: 1,
      task: 'next-step',
      loss: 'mse',
      init,
      bptt: { truncate: null },
      optimizer: { kind: 'sgd', lr: 0.1 },
      clip: null,
      epochs: 1,
      batch: 1,
      validation: { fraction: 0 },
      window: 10,
      seed: 7,
      data: 'x.csv',
    });
    for (const kind of GAIN_KINDS) {
      it(`${kind}: gain 2 doubles every drawn weight, biases stay 0`, () => {
        const one = initParams(model({ kind, gain: 1 }));
        const two = initParams(model({ kind, gain: 2 }));
        assert.deepEqual([...initParams(model({ kind })).entries()], [...one.entries()], 'absent gain is gain 1');
        for (const [name, t] of one) {
          const doubled = Array.from(t.data, (x) => 2 * x);
          assert.deepEqual(Array.from(two.get(name)!.data), doubled, name);
          if (!name.includes('bias'))
            assert.ok(
              t.data.some((x) => x !== 0),
              `${name} is drawn`,
            );
        }
      });
    }

    it('a gain the init ignores is a warning at the field', async () => {
      const files = memoryFiles({
        '/w/sine.csv': 'value\n0\n1\n0\n',
        '/w/m.unroll.json': '{\n  "data": "sine.csv",\n  "init": { "gain": 2 }\n}',
      });
      const loaded = await loadAnalysis(
        { path: '/w/m.unroll.json', workspaceRoot: '/w' },
        { maxSteps: 512, flowBudget: 1, defaultCell: 'rnn', maxMemoryMB: 2048, maxWork: 30 },
        files,
      );
      assert.deepEqual(
        loaded.warnings.map((w) => [w.line, w.message]),
        [[3, '"gain" applies to the xavier and orthogonal inits only; the pytorch init ignores it']],
      );
    });
  });
});
