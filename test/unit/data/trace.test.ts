// The trace reader (src/data/trace.ts) on in-memory files: the index, picking a snapshot, and every way a snapshot
// can be wrong, each an InputError naming the file with a hint.
import assert from 'node:assert/strict';
import { loadTrace, pickSnapshot, readTraceIndex, readTraceSnapshot, traceFolderOf } from '../../../src/data/trace';
import { expectProblem, memoryFiles, problemsOf, utf8 } from './helpers';
import { config, encodeSafetensors, indexLine, randomSnapshot, snapshotBytes } from './traceFixture';

const F = '/w/run.unroll-trace';
const limits = { maxMemoryMB: 2048, maxWork: 30, flowBudget: 1 };
const noCost = () => ({ doubles: 0, multiplyAdds: 0 });

describe('trace reader', () => {
  const snap = randomSnapshot(config({ numLayers: 2, bidirectional: true }));
  const bytes = snapshotBytes(snap);

  it('names the folder of a trace path, or of a snapshot inside one', () => {
    assert.deepEqual(traceFolderOf('/w/run.unroll-trace'), { folder: '/w/run.unroll-trace' });
    assert.deepEqual(traceFolderOf('/w/run.unroll-trace/'), { folder: '/w/run.unroll-trace' });
    assert.deepEqual(traceFolderOf('/w/run.unroll-trace/step-5.safetensors'), {
      folder: '/w/run.unroll-trace',
      file: 'step-5.safetensors',
    });
    assert.equal(traceFolderOf('/w/data.csv'), undefined);
    assert.equal(traceFolderOf('/w/weights.safetensors'), undefined);
  });

  it('lists the snapshots of the index, skipping a partial last line and files not written yet', async () => {
    const files = memoryFiles({
      [`${F}/index.jsonl`]: indexLine(100) + indexLine(200, null) + indexLine(300) + '{"step": 400, "file": "step-4',
      [`${F}/step-100.safetensors`]: bytes,
      [`${F}/step-200.safetensors`]: bytes,
    });
    const index = await readTraceIndex(files, F);
    assert.deepEqual(
      index.entries.map((e) => [e.step, e.file, e.loss, e.line]),
      [
        [100, 'step-100.safetensors', 1.5, 1],
        [200, 'step-200.safetensors', null, 2],
      ],
    );
    assert.deepEqual(index.warnings, []);
    assert.equal(pickSnapshot(index, 'latest').step, 200);
    assert.equal(pickSnapshot(index, undefined).step, 200);
    assert.equal(pickSnapshot(index, 100).step, 100);
  });

  it('skips a complete line that is not an entry with a warning at its line, and a file outside the folder', async () => {
    const files = memoryFiles({
      [`${F}/index.jsonl`]:
        indexLine(1) + 'not json\n' + '{"step": -1, "file": "x"}\n' + '{"step": 3, "file": "../../etc/passwd"}\n',
      [`${F}/step-1.safetensors`]: bytes,
      '/etc/passwd': 'root',
    });
    const index = await readTraceIndex(files, F);
    assert.deepEqual(
      index.entries.map((e) => e.step),
      [1],
    );
    assert.deepEqual(
      index.warnings.map((w) => [w.line, w.severity]),
      [
        [2, 'warning'],
        [3, 'warning'],
        [4, 'warning'],
      ],
    );
    assert.match(index.warnings[0].message, /line 2 skipped: not valid JSON/);
    assert.match(index.warnings[2].message, /"file" must name a file inside the trace folder/);
  });

  it('refuses a missing folder, a folder without index, an unknown step and an empty trace', async () => {
    await expectProblem(() => readTraceIndex(memoryFiles({}), F), {
      file: F,
      line: 1,
      column: 1,
      message: /does not exist/,
    });
    await expectProblem(() => readTraceIndex(memoryFiles({ [`${F}/other.txt`]: 'x' }), F), {
      line: 1,
      column: 1,
      message: /has no index\.jsonl/,
      hint: /unroll_trace/,
    });
    const files = memoryFiles({
      [`${F}/index.jsonl`]: indexLine(1) + indexLine(2),
      [`${F}/step-1.safetensors`]: bytes,
      [`${F}/step-2.safetensors`]: bytes,
    });
    const index = await readTraceIndex(files, F);
    await expectProblem(() => pickSnapshot(index, 7), {
      file: `${F}/index.jsonl`,
      line: 1,
      column: 1,
      message: /no snapshot at step 7/,
      hint: /steps recorded: 1, 2/,
    });
    const empty = await readTraceIndex(memoryFiles({ [`${F}/index.jsonl`]: '' }), F);
    await expectProblem(() => pickSnapshot(empty, 'latest'), {
      line: 1,
      column: 1,
      message: /no complete snapshot yet/,
    });
  });

  it('reads a snapshot: config, metadata, tensors in float64, recorded gradients', async () => {
    const files = memoryFiles({ [`${F}/index.jsonl`]: indexLine(100), [`${F}/step-100.safetensors`]: bytes });
    const { snapshot, entry } = await loadTrace(F, 'latest', limits, files, noCost);
    assert.equal(entry.step, 100);
    assert.deepEqual(snapshot.snapshot.config, snap.config);
    assert.equal(snapshot.meta.dtype, 'float64');
    assert.equal(snapshot.meta.h0Given, true);
    assert.deepEqual([snapshot.snapshot.S, snapshot.snapshot.T], [2, 5]);
    assert.deepEqual(snapshot.snapshot.input, snap.input);
    assert.ok(
      snapshot.recorded.has('weight_hh_l1_reverse') && snapshot.recorded.has('h0') && snapshot.recorded.has('c0'),
    );
    // a snapshot file named directly
    const direct = await loadTrace(`${F}/step-100.safetensors`, undefined, limits, files, noCost);
    assert.equal(direct.entry.step, 100);
  });

  const read = (b: Uint8Array) =>
    readTraceSnapshot(memoryFiles({ [`${F}/step-1.safetensors`]: b }), F, {
      step: 1,
      file: 'step-1.safetensors',
      loss: null,
      time: null,
      line: 1,
    });
  const file = `${F}/step-1.safetensors`;

  it('marks a training-mode snapshot with dropout between layers approximate even when the writer did not', async () => {
    const dropout = randomSnapshot(config({ numLayers: 2, dropout: 0.25 }));
    assert.equal((await read(snapshotBytes(dropout))).meta.approximate, 'dropout 0.25 between layers');
    assert.equal((await read(snapshotBytes(dropout, { metadata: { training: 'false' } }))).meta.approximate, null);
    assert.equal(
      (await read(snapshotBytes(dropout, { approximate: 'dropout 0.25 between layers (p drawn per step)' }))).meta
        .approximate,
      'dropout 0.25 between layers (p drawn per step)',
    );
  });

  it('refuses a safetensors file that is not a trace snapshot, and another format version', async () => {
    const plain = encodeSafetensors([['w', { shape: [1], data: new Float64Array(1) }]], {});
    await expectProblem(() => read(plain), {
      file,
      line: 1,
      column: 1,
      message: /no "format" metadata: it is not a trace snapshot/,
      hint: /unroll_trace/,
    });
    await expectProblem(() => read(snapshotBytes(snap, { metadata: { format: 'unroll-trace/9' } })), {
      file,
      line: 1,
      column: 1,
      message: /format is "unroll-trace\/9"; this Unroll reads unroll-trace\/1/,
    });
  });

  it('refuses a config it cannot replay, naming the field', async () => {
    await expectProblem(() => read(snapshotBytes(snap, { metadata: { config: '{"mode": "TRANSFORMER"}' } })), {
      file,
      line: 1,
      column: 1,
      message: /config "mode" must be one of RNN_TANH, RNN_RELU, LSTM, GRU/,
    });
    await expectProblem(() => read(snapshotBytes(snap, { metadata: { config: '{' } })), {
      line: 1,
      column: 1,
      message: /"config" metadata is not valid JSON/,
    });
    const bad = JSON.stringify({
      mode: 'LSTM',
      input_size: 3,
      hidden_size: 4,
      num_layers: 0,
      bias: true,
      batch_first: true,
      dropout: 0,
      bidirectional: true,
      proj_size: 0,
    });
    await expectProblem(() => read(snapshotBytes(snap, { metadata: { config: bad } })), {
      line: 1,
      column: 1,
      message: /config "num_layers" must be a whole number from 1/,
    });
    await expectProblem(() => read(snapshotBytes(snap, { metadata: { dtype: 'bfloat16' } })), {
      line: 1,
      column: 1,
      message: /metadata "dtype" must be float32 or float64/,
    });
  });

  it('refuses tensors whose shapes do not fit the config, or that are missing or foreign', async () => {
    await expectProblem(
      () => read(snapshotBytes(snap, { tensors: { weight_hh_l1: { shape: [16, 3], data: new Float64Array(48) } } })),
      {
        line: 1,
        column: 1,
        message: /tensor "weight_hh_l1" has shape \[16, 3\]; this LSTM .* need \[16, 4\]/,
        hint: /config in the metadata must be the module/,
      },
    );
    await expectProblem(() => read(snapshotBytes(snap, { tensors: { 'grad.bias_hh_l0': undefined } })), {
      line: 1,
      column: 1,
      message: /no "grad\.bias_hh_l0" tensor/,
    });
    await expectProblem(
      () => read(snapshotBytes(snap, { tensors: { weight_hr_l0: { shape: [1], data: new Float64Array(1) } } })),
      { line: 1, column: 1, message: /tensor "weight_hr_l0" is not part of a LSTM snapshot/ },
    );
    await expectProblem(() => read(snapshotBytes(snap, { metadata: { rows: '3' } })), {
      line: 1,
      column: 1,
      message: /"rows" is 3 but tensor "input" has 2 rows/,
    });
  });

  it('refuses a truncated snapshot and a hostile header before allocating for it', async () => {
    const truncated = bytes.subarray(0, bytes.length - 10);
    const problems = await problemsOf(() => read(truncated));
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, file);
    assert.match(problems[0].message, /outside the .* data bytes|cover|needs \d+ bytes/);
    // a header claiming a tensor of 2^40 values in a 200-byte file
    const hostile = utf8(
      'xxxxxxxx{"input": {"dtype": "F64", "shape": [1099511627776], "data_offsets": [0, 8796093022208]}}',
    );
    new DataView(hostile.buffer).setUint32(0, hostile.length - 8, true);
    new DataView(hostile.buffer).setUint32(4, 0, true);
    const hp = await problemsOf(() => read(hostile));
    assert.match(hp[0].message, /fall outside the 0 data bytes/);
    // a header length larger than the file
    const lying = Uint8Array.from(bytes);
    new DataView(lying.buffer).setUint32(0, 0x7fffffff, true);
    await expectProblem(() => read(lying), { file, line: 1, column: 1, message: /header length .* does not fit/ });
  });

  it('refuses a snapshot above the size cap from its size alone, without reading it', async () => {
    const files = memoryFiles(
      { [`${F}/step-1.safetensors`]: bytes },
      { [`${F}/step-1.safetensors`]: 300 * 1024 * 1024 },
    );
    await expectProblem(
      () => readTraceSnapshot(files, F, { step: 1, file: 'step-1.safetensors', loss: null, time: null, line: 1 }),
      { line: 1, column: 1, message: /the snapshot is 300\.0 MB; Unroll reads snapshots up to 256\.0 MB/ },
    );
    assert.deepEqual(files.reads, []);
  });

  it('refuses a replay over the memory or work limit before computing, naming the setting', async () => {
    const files = memoryFiles({ [`${F}/index.jsonl`]: indexLine(1), [`${F}/step-1.safetensors`]: bytes });
    await expectProblem(
      () => loadTrace(F, 'latest', { ...limits, maxWork: 1 }, files, () => ({ doubles: 0, multiplyAdds: 2e9 })),
      {
        line: 1,
        column: 1,
        message: /needs about 2\.0 billion multiply-adds; the limit is 1 billion/,
        hint: /--max-work/,
      },
    );
    await expectProblem(
      () => loadTrace(F, 'latest', { ...limits, maxWork: 100 }, files, () => ({ doubles: 0, multiplyAdds: 113.8e9 })),
      { line: 1, column: 1, message: /needs about 114 billion multiply-adds; the limit is 100 billion/ },
    );
    await expectProblem(
      () => loadTrace(F, 'latest', { ...limits, maxMemoryMB: 1 }, files, () => ({ doubles: 1e6, multiplyAdds: 0 })),
      { line: 1, column: 1, message: /of memory; the limit is 1\.0 MB/, hint: /--max-memory/ },
    );
  });
});
