// Property tests: whatever bytes a reader gets, it either returns or throws InputError with every problem
// positioned inside the file it read. Anything else (a TypeError, a RangeError, a hang) is a bug.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InputError,
  parseModelFile,
  readCsv,
  readJsonData,
  readJsonWeights,
  readNpy,
  readSafetensors,
  readText,
  writeSafetensors,
} from '../../../src/data';
import { fixture, utf8 } from './helpers';

const FILE = 'fuzzed';
const RUNS = 300;

function assertInside(problemLine: number, problemColumn: number, bytes: Uint8Array): void {
  const lines: number[] = [0];
  for (const b of bytes) {
    if (b === 0x0a) lines.push(0);
    else lines[lines.length - 1]++;
  }
  assert.ok(problemLine >= 1 && problemLine <= lines.length, `line ${problemLine} of ${lines.length}`);
  assert.ok(
    problemColumn >= 1 && problemColumn <= lines[problemLine - 1] + 1,
    `column ${problemColumn} on a line of ${lines[problemLine - 1]} bytes`,
  );
}

async function onlyInputErrors(bytes: Uint8Array, read: (bytes: Uint8Array) => unknown): Promise<void> {
  try {
    await read(bytes);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    assert.ok(e.problems.length > 0);
    for (const p of e.problems) {
      assert.equal(p.file, FILE);
      assertInside(p.line, p.column, bytes);
    }
  }
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const readers: Record<string, (bytes: Uint8Array) => unknown> = {
  csv: (b) => readCsv(b, FILE, { keepRows: 50, keep: 'first' }),
  'csv (keep last)': (b) => readCsv(b, FILE, { keepRows: 3, keep: 'last' }),
  text: (b) => readText(b, FILE),
  'json data': (b) => readJsonData(decode(b), FILE),
  'json weights': (b) => readJsonWeights(decode(b), FILE),
  'model file': (b) => parseModelFile(decode(b), FILE),
  npy: (b) => readNpy(b, FILE),
  safetensors: (b) => readSafetensors(b, FILE),
};

/** Small edits a person or a broken copy makes: replace, insert or delete a few bytes, or cut the end. */
function nearly(valid: Uint8Array, alphabet: number[]): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: fc.constantFrom(...alphabet) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.constantFrom(...alphabet) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let bytes = Array.from(valid);
    for (const { kind, at, byte } of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === 'replace' && bytes.length > 0) bytes[i] = byte;
      else if (kind === 'insert') bytes.splice(i, 0, byte);
      else if (kind === 'delete') bytes.splice(i, 1);
      else if (kind === 'cut') bytes = bytes.slice(0, i);
    }
    return new Uint8Array(bytes);
  });
}

const textAlphabet = [...utf8(',;\t\n\r"\' {}[]:0123456789.-eE+naNinfxyz'), 0x00, 0xc3, 0xa9, 0xff, 0xef, 0xbb, 0xbf];
const anyByte = Array.from({ length: 256 }, (_, i) => i);

describe('fuzzed input gives only InputError, positioned inside the file', () => {
  for (const [name, read] of Object.entries(readers)) {
    it(`${name}: random bytes`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyInputErrors(bytes, read)),
        { numRuns: RUNS },
      );
    });
  }

  const validCsv = utf8('sequence,value,marker,target\n1,0.5,0,\n1,0.25,1,\n1,"0.125",0,0.75\r\n2,1e-3,1,\n2,-2,0,3\n');
  it('csv: near-valid files', () =>
    fc.assert(
      fc.asyncProperty(nearly(validCsv, textAlphabet), (b) => onlyInputErrors(b, readers.csv)),
      { numRuns: RUNS },
    ));

  const validJson = utf8(
    '// data\n[{ "inputs": [[1, 2], [3, 4]], "targets": [null, [5]] },\n { "inputs": [[0, 1], [1e3, -2]], "targets": [[1], [2]] }]\n',
  );
  it('json data: near-valid files', () =>
    fc.assert(
      fc.asyncProperty(nearly(validJson, textAlphabet), (b) => onlyInputErrors(b, readers['json data'])),
      { numRuns: RUNS },
    ));

  const validWeights = utf8('{ "fc.weight": [[1, 2]], "fc.bias": [0.5] }');
  it('json weights: near-valid files', () =>
    fc.assert(
      fc.asyncProperty(nearly(validWeights, textAlphabet), (b) => onlyInputErrors(b, readers['json weights'])),
      { numRuns: RUNS },
    ));

  const validModel = utf8(
    '// model\n{ "data": "a.csv", "task": "columns", "inputs": ["x"], "targets": ["y"], "clip": { "norm": 1 },\n  "bptt": { "truncate": 3 }, "init": { "kind": "orthogonal", "spectralRadius": 1.5 } }\n',
  );
  it('model file: near-valid files', () =>
    fc.assert(
      fc.asyncProperty(nearly(validModel, textAlphabet), (b) => onlyInputErrors(b, readers['model file'])),
      { numRuns: RUNS },
    ));

  for (const name of ['v1-f8-2d.npy', 'v2-f8-3d.npy', 'v3-f4-2d.npy']) {
    it(`npy: near-valid ${name}`, () =>
      fc.assert(
        fc.asyncProperty(nearly(fixture(name), anyByte), (b) => onlyInputErrors(b, readers.npy)),
        { numRuns: RUNS },
      ));
  }

  const validSafetensors = writeSafetensors(
    new Map([['fc.weight', { shape: [1, 2], data: new Float64Array([1, 2]) }]]),
    'F32',
  );
  it('safetensors: near-valid files', () =>
    fc.assert(
      fc.asyncProperty(nearly(validSafetensors, anyByte), (b) => onlyInputErrors(b, readers.safetensors)),
      { numRuns: RUNS },
    ));
});
