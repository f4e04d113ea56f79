import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseModelFile } from '../../../src/data';
import { expectProblem, problemsOf } from './helpers';

const parse = (text: string) => parseModelFile(text, 'm.unroll.json');

describe('model file', () => {
  it('accepts comments, trailing commas and every documented field', () => {
    const { spec, warnings } = parse(`// a comment
{
  "data": "adding.csv", /* inline */
  "task": "seq-to-one", "inputs": ["value", "marker"], "targets": ["target"],
  "cell": "lstm", "hidden": 16, "layers": 2,
  "init": { "kind": "orthogonal", "spectralRadius": 0.95, "forgetBias": 1, "gain": 1 },
  "bptt": { "truncate": 20 }, "optimizer": { "kind": "momentum", "lr": 0.1, "momentum": 0.8 },
  "clip": { "norm": 1 }, "epochs": 5, "window": 100, "seed": 7, "weights": "w.safetensors", "compare": ["rnn", "gru"],
}`);
    assert.equal(spec.cell, 'lstm');
    assert.deepEqual(spec.bptt, { truncate: 20 });
    assert.deepEqual(warnings, []);
  });

  it('says "did you mean" for an unknown field and points at its key', () =>
    expectProblem(() => parse('{\n  "data": "a.csv",\n  "hiden": 3\n}'), {
      line: 3,
      column: 3,
      message: /unknown field "hiden"; did you mean "hidden"\?/,
      hint: /allowed here: .*hidden/,
    }));

  it('says "did you mean" inside nested objects', () =>
    expectProblem(() => parse('{ "data": "a.csv", "init": { "knd": "xavier" } }'), {
      line: 1,
      column: 30,
      message: /unknown field "knd"; did you mean "kind"/,
    }));

  it('reports wrong types, out-of-range values and bad enums at the value', async () => {
    await expectProblem(() => parse('{ "data": "a.csv", "hidden": "32" }'), {
      line: 1,
      column: 30,
      message: /"hidden" must be a whole number, found a string/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "hidden": 0 }'), {
      line: 1,
      column: 30,
      message: /"hidden" must be at least 1, found 0/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "window": 2.5 }'), {
      line: 1,
      column: 30,
      message: /"window" must be a whole number, found 2\.5/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "cell": "lstn" }'), {
      line: 1,
      column: 28,
      message: /"cell" must be one of rnn, lstm, gru, found "lstn"; did you mean "lstm"/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "optimizer": { "lr": -1 } }'), {
      line: 1,
      column: 41,
      message: /"lr" must be greater than 0, found -1/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "clip": "yes" }'), {
      line: 1,
      column: 28,
      message: /"clip" must be null or an object, found a string/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "clip": { "norm": 0 } }'), {
      line: 1,
      column: 38,
      message: /"norm" must be greater than 0/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "bptt": "half" }'), {
      line: 1,
      column: 28,
      message: /"bptt" must be one of full, found "half"/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "bptt": { "truncate": 0 } }'), {
      line: 1,
      column: 42,
      message: /"truncate" must be at least 1/,
    });
    await expectProblem(() => parse('{ "data": "a.xlsx" }'), {
      line: 1,
      column: 11,
      message: /"data" must name a sequence file/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "weights": "w.pt" }'), {
      line: 1,
      column: 31,
      message: /"weights" must name a \.safetensors or \.json weights file/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "precision": "float16" }'), {
      line: 1,
      column: 33,
      message: /"precision" must be one of float64, float32, found "float16"/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "compare": ["rnn", "rnn"] }'), {
      line: 1,
      column: 31,
      message: /lists the same value twice/,
    });
  });

  it('reports every problem at once, in file order', async () => {
    const problems = await problemsOf(() => parse('{\n"hidden": -1,\n"cell": 3\n}'));
    assert.deepEqual(
      problems.map((p) => [p.line, p.message.slice(0, 30)]),
      [
        [1, 'the model file is missing "dat'],
        [2, '"hidden" must be at least 1, f'],
        [3, '"cell" must be a string, found'],
      ],
    );
  });

  it('refuses invalid JSON, a non-object and duplicate keys', async () => {
    await expectProblem(() => parse('{ "data": "a.csv" "cell": "rnn" }'), {
      line: 1,
      column: 19,
      message: /invalid JSON: comma expected/,
    });
    await expectProblem(() => parse('[]'), {
      line: 1,
      column: 1,
      message: /the model file must be an object, found a list/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "data": "b.csv" }'), {
      line: 1,
      column: 20,
      message: /field "data" appears twice/,
    });
  });

  it('checks that inputs/targets fit the task', async () => {
    await expectProblem(() => parse('{ "data": "a.csv", "inputs": ["x"] }'), {
      line: 1,
      column: 30,
      message: /"inputs" applies to task columns or seq-to-one/,
    });
    await expectProblem(() => parse('{ "data": "a.csv", "task": "columns", "inputs": ["x"] }'), {
      line: 1,
      column: 28,
      message: /task columns needs "inputs" and "targets" \(missing: "targets"\)/,
    });
  });

  it('warns about settings the chosen cell ignores', () => {
    const { warnings } = parse(
      '{ "data": "a.csv", "cell": "gru", "nonlinearity": "relu", "init": { "forgetBias": 1 } }',
    );
    assert.deepEqual(
      warnings.map((w) => [w.severity, w.column]),
      [
        ['warning', 51],
        ['warning', 83],
      ],
    );
  });

  it('the schema documents every field with a description and examples, and enums where the value is a choice', () => {
    const schema = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../../media/schemas/unroll-model.schema.json'), 'utf8'),
    );
    const visit = (name: string, node: Record<string, unknown>) => {
      assert.ok(typeof node.description === 'string' && node.description.length > 10, `${name} has a description`);
      if (name !== '$schema')
        assert.ok(Array.isArray(node.examples) && node.examples.length > 0, `${name} has examples`);
      for (const [child, sub] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>))
        visit(`${name}.${child}`, sub);
    };
    for (const [name, node] of Object.entries(schema.properties as Record<string, Record<string, unknown>>))
      visit(name, node);
    for (const choice of ['task', 'cell', 'nonlinearity'])
      assert.ok(Array.isArray(schema.properties[choice].enum), choice);
  });
});
