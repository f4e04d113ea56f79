// runAnalyze on a trace folder in memory: the snapshot picked, the replay checked, what the notes say, the timeline
// of every snapshot, and the files to watch. Real PyTorch traces: test/trace.
import assert from 'node:assert/strict';
import { runAnalyze } from '../../../src/worker/jobs';
import type { EngineSettings } from '../../../src/protocol/messages';
import { memoryFiles } from './helpers';
import { config, indexLine, randomSnapshot, snapshotBytes } from './traceFixture';

const F = '/w/run.unroll-trace';
const settings: EngineSettings = { maxSteps: 1000, flowBudget: 1, defaultCell: 'lstm', maxMemoryMB: 2048, maxWork: 30 };

describe('trace analysis job', () => {
  const snap = randomSnapshot(config({ numLayers: 2, bidirectional: true, projSize: 2 }), 3, 6);
  const files = () =>
    memoryFiles({
      [`${F}/index.jsonl`]: indexLine(100, 2.5) + indexLine(200, 1.25) + indexLine(300, null),
      [`${F}/step-100.safetensors`]: snapshotBytes(snap, { step: 100, dtype: 'float32' }),
      [`${F}/step-200.safetensors`]: snapshotBytes(snap, {
        step: 200,
        dtype: 'float32',
        h0: 'none',
        metadata: { loss: '1.25' },
      }),
      [`${F}/step-300.safetensors`]: snapshotBytes(snap, {
        step: 300,
        dtype: 'float32',
        perturb: { name: 'weight_ih_l0', by: 1e-3 },
        metadata: { loss: '' },
      }),
    });

  it('replays the snapshot asked for, says whose run it is, and fills the timeline of every snapshot', async () => {
    const {
      result,
      files: watched,
      warnings,
    } = await runAnalyze({ path: F, workspaceRoot: '/w', traceStep: 200 }, settings, files());
    assert.deepEqual(warnings, []);
    assert.deepEqual(watched, [`${F}/index.jsonl`, `${F}/step-200.safetensors`]);
    assert.equal(result.replay!.ok, true);
    assert.equal(result.replay!.dtype, 'float32');
    assert.equal(result.replay!.tolerance, 1e-5);
    assert.equal(result.replay!.products, 'float32', 'a float32 run replays with float32 products');
    // the step gain of a replayed layer is measured (d0e149e: a replayed network never ran forward, and said
    // "needs two steps or more")
    assert.ok(
      Number.isFinite(result.spectral.stepGain) && result.spectral.stepGain! > 0,
      `${result.spectral.stepGain}`,
    );
    assert.ok(!result.replay!.compared.some((c) => c.name === 'h0'), 'no h0 given: ∂L/∂h0 not compared');
    assert.match(result.meta.notes[0], /^A snapshot of your PyTorch run at training step 200, loss 1\.250 /);
    assert.ok(result.meta.notes.some((n) => /given no h0/.test(n)));
    assert.ok(result.meta.notes.some((n) => /proj_size 2/.test(n)));
    const t = result.trace!;
    assert.equal(t.shown, 200);
    assert.equal(t.config.proj_size, 2);
    assert.deepEqual(
      t.snapshots.map((s) => [s.step, s.loss]),
      [
        [100, 2.5],
        [200, 1.25],
        [300, null],
      ],
    );
    // small snapshots: all replayed within the budget; the skewed one shows its error
    for (const s of t.snapshots)
      assert.ok(s.rho !== null && s.sigmaMax !== null && s.gradNorm !== null && s.maxRelErr !== null, `step ${s.step}`);
    assert.ok(t.snapshots[2].maxRelErr! > 1e-4);
    assert.ok(t.snapshots[1].maxRelErr! <= 1e-5);
    assert.equal(t.snapshots[1].rho, result.spectral.radius);
  });

  it('says when ∂L/∂c_n is not zero, which the flow rows leave out, and nothing when it is zero', async () => {
    const lstm = randomSnapshot(config({ numLayers: 2 }), 2, 5);
    const notesWith = async (s: typeof lstm, traceLayer?: number) => {
      const { result } = await runAnalyze(
        { path: F, workspaceRoot: '/w', ...(traceLayer !== undefined ? { traceLayer } : {}) },
        settings,
        memoryFiles({ [`${F}/index.jsonl`]: indexLine(100), [`${F}/step-100.safetensors`]: snapshotBytes(s) }),
      );
      return result.meta.notes.filter((n) => /∂L\/∂c_n/.test(n));
    };
    const [note] = await notesWith(lstm);
    assert.match(
      note,
      /^∂L\/∂c_n is not zero here \(‖∂L\/∂c_n‖ = \S+ on the row shown\).*leave out what enters through c_n/,
    );
    // zero for the top layer only: the note follows the layer shown
    const topZero = { ...lstm, gradCn: lstm.gradCn!.map((v, i) => (i >= 2 * 4 ? 0 : v)) };
    assert.deepEqual(await notesWith(topZero), []);
    assert.equal((await notesWith(topZero, 0)).length, 1);
  });

  it('the latest by default; a mismatch is not ok and names the tensor', async () => {
    const { result } = await runAnalyze({ path: F, workspaceRoot: '/w' }, settings, files());
    assert.equal(result.trace!.shown, 300);
    assert.equal(result.replay!.ok, false);
    assert.equal(result.replay!.compared[0].name, 'weight_ih_l0');
    assert.equal(result.replay!.products, 'float64', 'a float32 replay that misses the bound is redone in float64');
    assert.match(
      result.meta.notes[0],
      /^A snapshot of your PyTorch run at training step 300 \(run\.unroll-trace, float32\)/,
    );
  });
});
