// The one list of cells and file kinds (src/protocol/kinds.ts, src/data/kinds.ts), the manifest and the schema that
// repeat it, and the one rule that pairs a data file with its model file.
import assert from 'node:assert/strict';
import manifest from '../../../package.json';
import schema from '../../../media/schemas/unroll-model.schema.json';
import { loadAnalysis } from '../../../src/data';
import {
  CELL_KINDS,
  DEFAULT_CELL,
  MODEL_SUFFIX,
  SEQUENCE_EXTENSIONS,
  SEQUENCE_FORMATS,
  TRACE_SUFFIX,
  WEIGHTS_EXTENSIONS,
  fileStem,
  inputKindOf,
  isCellKind,
  isModelFile,
  isSequenceFile,
  isTraceFolder,
  modelCandidates,
  modelDataPath,
  modelDescribes,
  modelNamesToProbe,
  modelPathFor,
  sequenceFormatOf,
  weightsFormatOf,
} from '../../../src/data/kinds';
import type { EngineSettings } from '../../../src/protocol/messages';
import { memoryFiles } from './helpers';

/** The alternatives of a regex written `\.(a|b|c)$` (as the schema's patterns and the menus' `resourceExtname` are). */
function alternativesOf(pattern: string): string[] {
  const group = /\\\.\(([^()]+)\)\$$/.exec(pattern)?.[1];
  assert.ok(group, `not a list of extensions: ${pattern}`);
  return group.split('|').map((e) => `.${e}`);
}

const sorted = (xs: readonly string[]) => [...xs].sort();

describe('kinds: one list of cells and file kinds', () => {
  describe('the cells', () => {
    it('the schema\'s "cell" enum, its descriptions and the "compare" items are the list', () => {
      assert.deepEqual(schema.properties.cell.enum, [...CELL_KINDS]);
      assert.equal(schema.properties.cell.enumDescriptions.length, CELL_KINDS.length);
      assert.deepEqual(schema.properties.compare.items.enum, [...CELL_KINDS]);
      // The cell's default is a setting's (test/unit/data/defaults.test.ts), whose own default is DEFAULT_CELL.
      assert.ok(
        schema.properties.cell.description.includes(
          `Default: the unroll.defaultCell setting (${DEFAULT_CELL} unless changed)`,
        ),
        schema.properties.cell.description,
      );
    });

    it("package.json's unroll.defaultCell enum and default are the list", () => {
      const setting = manifest.contributes.configuration.properties['unroll.defaultCell'];
      assert.deepEqual(setting.enum, [...CELL_KINDS]);
      assert.equal(setting.default, DEFAULT_CELL);
    });

    it('isCellKind accepts exactly the list', () => {
      for (const cell of CELL_KINDS) assert.equal(isCellKind(cell), true);
      for (const other of ['RNN', 'transformer', '', undefined, 1])
        assert.equal(isCellKind(other), false, String(other));
    });
  });

  describe('the file kinds', () => {
    it('every extension picks one reader, in any case', () => {
      for (const [format, extensions] of Object.entries(SEQUENCE_FORMATS)) {
        for (const ext of extensions) {
          assert.equal(sequenceFormatOf(`/w/a.${ext}`), format);
          assert.equal(sequenceFormatOf(`/w/a.${ext.toUpperCase()}`), format);
        }
      }
      assert.deepEqual(sorted(SEQUENCE_EXTENSIONS), sorted(['.csv', '.tsv', '.tab', '.txt', '.text', '.json', '.npy']));
      for (const other of ['/w/a.md', '/w/a.safetensors', '/w/csv', '/w/a.csv.gz', '/w/.csv/a'])
        assert.equal(sequenceFormatOf(other), undefined, other);
    });

    it('a model file, a trace folder and a sequence file are told apart by name', () => {
      assert.deepEqual(inputKindOf('/w/sine.rnn.unroll.json'), { kind: 'model' });
      assert.deepEqual(inputKindOf('/w/SINE.UNROLL.JSON'), { kind: 'model' });
      assert.equal(isSequenceFile('/w/sine.unroll.json'), false, 'a model file is JSON, but not a sequence file');
      assert.deepEqual(inputKindOf('/w/runs/exp1.unroll-trace'), { kind: 'trace' });
      assert.equal(isTraceFolder('/w/runs/exp1.unroll-trace/'), true);
      assert.equal(isTraceFolder('C:\\w\\exp1.unroll-trace\\'), true);
      assert.equal(isTraceFolder('/w/runs/exp1.unroll-trace/index.jsonl'), false);
      assert.deepEqual(inputKindOf('/w/sine.csv'), { kind: 'sequence', format: 'csv' });
      assert.deepEqual(inputKindOf('/w/corpus.text'), { kind: 'sequence', format: 'text' });
      assert.equal(inputKindOf('/w/notes.md'), undefined);
    });

    it("the schema's data and weights patterns accept the module's extensions", () => {
      assert.deepEqual(sorted(alternativesOf(schema.properties.data.pattern)), sorted(SEQUENCE_EXTENSIONS));
      assert.deepEqual(sorted(alternativesOf(schema.properties.weights.pattern)), sorted(WEIGHTS_EXTENSIONS));
      assert.deepEqual(
        WEIGHTS_EXTENSIONS.map((e) => weightsFormatOf(`/w/trained${e.toUpperCase()}`)),
        ['safetensors', 'json'],
      );
    });

    it("the menus' file patterns are the module's kinds", () => {
      const menus = manifest.contributes.menus as Record<string, { command: string; when?: string }[]>;
      const items = Object.entries(menus).flatMap(([where, list]) =>
        list.map((i) => ({ where, command: i.command, when: i.when ?? '' })),
      );
      for (const where of ['explorer/context', 'editor/title', 'editor/title/context']) {
        assert.ok(
          items.some((m) => m.where === where && m.command === 'unroll.analyze'),
          `unroll.analyze is in ${where}`,
        );
      }
      const suffixes = new Set<string>();
      for (const { where, command, when } of items) {
        const at = `${where} ${command}: ${when}`;
        for (const [, written, flags] of when.matchAll(/resourceExtname =~ \/(.+?)\/([a-z]*)/g)) {
          assert.deepEqual(sorted(alternativesOf(written)), sorted(SEQUENCE_EXTENSIONS), at);
          assert.ok(
            flags.includes('i'),
            `${at}: extensions are matched in any case (sequenceFormatOf); add the i flag`,
          );
        }
        for (const [, written, flags] of when.matchAll(/resourceFilename =~ \/(.+?)\/([a-z]*)/g)) {
          // Each filename pattern is one of the module's suffixes, exactly, in any case (isModelFile, isTraceFolder).
          const pattern = new RegExp(written, flags);
          const suffix = [MODEL_SUFFIX, TRACE_SUFFIX].find((s) => pattern.test(`x${s}`));
          assert.ok(suffix, `${at}: ${written} matches neither ${MODEL_SUFFIX} nor ${TRACE_SUFFIX}`);
          assert.ok(
            pattern.test(`X${suffix.toUpperCase()}`),
            `${at}: ${suffix} is matched in any case (src/data/kinds.ts); add the i flag`,
          );
          for (const other of ['x.json', 'x.unroll.jsonl', `x${suffix}.bak`, 'x.unroll-json', 'x.unroll'])
            assert.equal(pattern.test(other), false, `${at}: ${written} matches ${other}`);
          suffixes.add(suffix);
        }
      }
      assert.ok(suffixes.has(MODEL_SUFFIX), 'the menus offer model files');
    });
  });

  describe('which model file belongs to a data file', () => {
    it('ranks <stem>.unroll.json, then <stem>.<preferred cell>.unroll.json, then the others by name', () => {
      const siblings = [
        'sine.csv',
        'sine.rnn.unroll.json',
        'sine.lstm.unroll.json',
        'sine.gru.unroll.json',
        'sine.unroll.json',
        'sine.w2.unroll.json',
        'cosine.unroll.json',
        'sine.csv.bak',
        'sines.unroll.json',
      ];
      assert.deepEqual(modelCandidates('/w/sine.csv', siblings, 'lstm'), [
        '/w/sine.unroll.json',
        '/w/sine.lstm.unroll.json',
        '/w/sine.gru.unroll.json',
        '/w/sine.rnn.unroll.json',
        '/w/sine.w2.unroll.json',
      ]);
      assert.deepEqual(modelCandidates('C:\\w\\sine.csv', ['sine.gru.unroll.json'], 'rnn'), [
        'C:\\w\\sine.gru.unroll.json',
      ]);
      assert.deepEqual(modelNamesToProbe('/w/sine.csv', CELL_KINDS), [
        'sine.unroll.json',
        'sine.rnn.unroll.json',
        'sine.lstm.unroll.json',
        'sine.gru.unroll.json',
      ]);
    });

    it('the model file a bare data file gets is <stem>.unroll.json beside it', () => {
      assert.equal(fileStem('/w/adding-lag50.csv'), 'adding-lag50');
      assert.equal(fileStem('/w/.hidden'), '.hidden');
      assert.equal(modelPathFor('/w/d/adding-lag50.csv'), '/w/d/adding-lag50.unroll.json');
      assert.equal(isModelFile(modelPathFor('/w/sine.csv')), true);
    });

    it('a model file describes the data file its "data" field names, relative to itself; comments do not count', () => {
      assert.equal(modelDataPath('/w/m/sine.unroll.json', '{ "data": "../sine.csv" }'), '/w/sine.csv');
      assert.equal(modelDescribes('/w/sine.unroll.json', '{ // sine\n "data": "./sine.csv", }', '/w/sine.csv'), true);
      assert.equal(modelDescribes('/w/sine.unroll.json', '{ "data": "sub/../sine.csv" }', '/w/sine.csv'), true);
      assert.equal(modelDescribes('/w/sine.unroll.json', '{ "data": "other.csv" }', '/w/sine.csv'), false);
      assert.equal(
        modelDescribes('/w/sine.unroll.json', '{ /* "data": "sine.csv", */ "data": "other.csv" }', '/w/sine.csv'),
        false,
      );
      assert.equal(
        modelDescribes('/w/sine.unroll.json', '// "data": "sine.csv"\n{ "hidden": 4 }', '/w/sine.csv'),
        false,
      );
      assert.equal(modelDataPath('/w/sine.unroll.json', '{ "data": 3'), undefined);
      assert.equal(modelDataPath('/w/sine.unroll.json', 'not json at all'), undefined);
    });

    describe('loadAnalysis follows the rule', () => {
      const settings: EngineSettings = {
        maxSteps: 512,
        flowBudget: 1,
        defaultCell: 'rnn',
        maxMemoryMB: 2048,
        maxWork: 30,
      };
      const sine = 'value\n0\n1\n0\n-1\n0\n';
      const at = (p: string) => ({ path: p, workspaceRoot: '/w' });

      it('finds <stem>.<anything>.unroll.json when the folder can be listed', async () => {
        const files = memoryFiles({
          '/w/sine.csv': sine,
          '/w/sine.w2.unroll.json': '{ "data": "sine.csv", "hidden": 3 }',
        });
        const loaded = await loadAnalysis(at('/w/sine.csv'), settings, files);
        assert.equal(loaded.meta.modelFile, '/w/sine.w2.unroll.json');
        assert.equal(loaded.model.hidden, 3);
      });

      it('prefers the default cell, and skips a candidate whose "data" names it only in a comment', async () => {
        const files = memoryFiles({
          '/w/sine.csv': sine,
          '/w/sine.gru.unroll.json': '{ "data": "sine.csv", "cell": "gru", "hidden": 5 }',
          '/w/sine.lstm.unroll.json': '{ "data": "sine.csv", "cell": "lstm", "hidden": 4 }',
          '/w/sine.unroll.json': '{\n  // "data": "sine.csv",\n  "data": "cosine.csv"\n}',
        });
        const loaded = await loadAnalysis(at('/w/sine.csv'), { ...settings, defaultCell: 'lstm' }, files);
        assert.equal(loaded.meta.modelFile, '/w/sine.lstm.unroll.json');
      });

      it('without a folder listing, probes the names the rule ranks by cell', async () => {
        const { list: _list, ...unlisted } = memoryFiles({
          '/w/sine.csv': sine,
          '/w/sine.gru.unroll.json': '{ "data": "sine.csv", "cell": "gru", "hidden": 2 }',
          '/w/sine.w2.unroll.json': '{ "data": "sine.csv" }',
        });
        const loaded = await loadAnalysis(at('/w/sine.csv'), settings, unlisted);
        assert.equal(loaded.meta.modelFile, '/w/sine.gru.unroll.json');
      });
    });
  });
});
