// ρ and σ_max on the worker's helper thread (src/worker/spectralThread.ts): the analysis the worker runs (the
// matrix prefetched, the values taken from the helper) equals the one-thread analysis bit for bit; the cache takes
// the helper's values only for a bit-identical matrix; a helper that is absent or dies mid-job never hangs the
// analysis, whose values then come from its own thread.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyze } from '../../src/engine/analyze';
import { AnalysisCache, spectralMatrixOf } from '../../src/engine/cache';
import { sigmaMax, spectralRadius } from '../../src/engine/eigen';
import { kernelBuild, useKernelBuild } from '../../src/engine/wasm';
import { initParams, cloneParams } from '../../src/engine/params';
import type { ResolvedModel } from '../../src/protocol/result';
import { SpectralThread } from '../../src/worker/spectralThread';
import { model, randomSeq } from './engine/helpers';

const H = 40;
const meta = { dataFile: 'x.csv', originalSteps: 24, sequence: 0, sequences: 1, notes: [] };

function run(m: ResolvedModel, params: ReturnType<typeof initParams>, cache: AnalysisCache) {
  return analyze(m, params, randomSeq(m, 24, 3), { meta, cache }).spectral;
}

describe('ρ and σ_max on a helper thread', function () {
  this.timeout(60000);
  let thread: SpectralThread;
  before(async () => {
    thread = new SpectralThread({ minHidden: 8 });
    assert.equal(await thread.ready(), true, 'the helper thread did not start');
  });
  after(() => thread.terminate());

  it('the worker path (prefetch, then analyze) gives the one-thread spectral fields bit for bit, for every cell', async () => {
    for (const [cell, nonlinearity, layers] of [
      ['rnn', 'tanh', 1],
      ['rnn', 'relu', 2],
      ['lstm', 'tanh', 2],
      ['gru', 'tanh', 1],
    ] as const) {
      const m = model({ cell, nonlinearity, layers, hidden: H, inputSize: 5 });
      const params = initParams(m);
      const one = new AnalysisCache();
      const two = new AnalysisCache();
      two.setSpectralSource(thread);
      two.prefetchSpectral(m, params);
      await thread.settled();
      const a = run(m, params, one);
      const b = run(m, params, two);
      assert.deepEqual(b, a);
      assert.ok(Object.is(a.radius, b.radius) && Object.is(a.sigmaMax, b.sigmaMax), `${cell}: not bit-identical`);
      assert.deepEqual([two.made.spectraFromSource, two.made.spectra], [1, 0], `${cell}: the helper did not answer`);
      // the reported matrix is the one prefetched: the top layer's candidate block
      const M = spectralMatrixOf(m, params)!;
      assert.ok(Object.is(b.radius, spectralRadius(M, H)) && Object.is(b.sigmaMax, sigmaMax(M, H, H)));
    }
  });

  it('uses the helper only for a bit-identical matrix: one changed bit is computed on the owner thread', async () => {
    const m = model({ cell: 'lstm', hidden: H, inputSize: 5 });
    const params = initParams(m);
    const changed = cloneParams(params);
    const M = spectralMatrixOf(m, changed)!;
    const W = changed.get('rnn.weight_hh_l0')!.data;
    const bits = new Uint32Array(W.buffer, W.byteOffset + 8 * (2 * H * H + 17), 2);
    bits[0] ^= 1; // the last mantissa bit of one entry of the candidate (g) block
    assert.notEqual(spectralMatrixOf(m, changed)![17], M[17]);
    const cache = new AnalysisCache();
    cache.setSpectralSource(thread);
    cache.prefetchSpectral(m, params); // the helper computes the original weights' values
    await thread.settled();
    const got = run(m, changed, cache);
    const want = run(m, changed, new AnalysisCache());
    assert.deepEqual(got, want);
    assert.deepEqual([cache.made.spectraFromSource, cache.made.spectra], [0, 1]);
    // same weights again: reused from the cache, not asked of the helper
    run(m, changed, cache);
    assert.deepEqual([cache.made.spectraFromSource, cache.made.spectra], [0, 1]);
    // a matrix the cache already holds is not posted again
    const started = thread.counts.started;
    cache.prefetchSpectral(m, changed);
    assert.equal(thread.counts.started, started);
  });

  it('a helper that never started (no script) costs nothing: the values come from the owner thread', async () => {
    const absent = new SpectralThread({ script: join(__dirname, 'no-such-helper.js'), minHidden: 8 });
    assert.equal(await absent.ready(), false);
    const m = model({ cell: 'gru', hidden: H, inputSize: 5 });
    const params = initParams(m);
    const cache = new AnalysisCache();
    cache.setSpectralSource(absent);
    cache.prefetchSpectral(m, params);
    assert.deepEqual(run(m, params, cache), run(m, params, new AnalysisCache()));
    assert.deepEqual([cache.made.spectraFromSource, cache.made.spectra], [0, 1]);
    await absent.terminate();
  });

  it('a helper killed mid-job does not hang the analysis: take times out, the owner computes, the next start gets a new helper', async () => {
    const dies = new SpectralThread({
      script: join(__dirname, 'fakes/spectralHelperDies.cjs'),
      minHidden: 8,
      timeoutMs: () => 200,
    });
    assert.equal(await dies.ready(), true);
    const m = model({ cell: 'rnn', hidden: H, inputSize: 5 });
    const params = initParams(m);
    const cache = new AnalysisCache();
    cache.setSpectralSource(dies);
    cache.prefetchSpectral(m, params);
    await dies.settled(true); // claimed (Running) by a thread that then exited
    const t0 = performance.now();
    const got = run(m, params, cache);
    assert.ok(performance.now() - t0 < 30000, 'the analysis waited far past the timeout');
    assert.deepEqual(got, run(m, params, new AnalysisCache()));
    assert.deepEqual([cache.made.spectraFromSource, cache.made.spectra], [0, 1]);
    assert.equal(dies.counts.timedOut, 1);
    // the dead thread's exit is seen between jobs: the next start (here ready) runs a new helper
    for (let i = 0; i < 500 && dies.counts.helpers < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await dies.ready();
    }
    assert.equal(dies.counts.helpers, 2, 'no new helper after the first one died');
    assert.equal(await dies.ready(), true);
    await dies.terminate();
  });

  it("a thread's kernels are one build: useKernelBuild answers true only for that one (a helper of another build fails its jobs)", () => {
    const mine = kernelBuild();
    assert.equal(useKernelBuild(mine), true);
    for (const other of ['relaxed-simd', 'simd', null] as const)
      if (other !== mine) assert.equal(useKernelBuild(other), false, `${other} beside ${mine}`);
  });

  it('a job the helper has not begun is taken back; below minHidden nothing is posted', async () => {
    const m = model({ cell: 'rnn', hidden: H, inputSize: 5 });
    const params = initParams(m);
    const M = spectralMatrixOf(m, params)!;
    const fresh = new SpectralThread({ minHidden: 8 });
    fresh.start(M, H); // before the helper's thread can have loaded: still Pending
    assert.equal(fresh.take(M, H), null);
    assert.equal(fresh.counts.takenBack, 1);
    // below minHidden nothing is posted
    const small = new SpectralThread({ minHidden: H + 1 });
    small.start(M, H);
    assert.equal(small.counts.started, 0);
    assert.equal(small.take(M, H), null);
    await fresh.terminate();
    await small.terminate();
  });
});
