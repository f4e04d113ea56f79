// The words for a trace replay (src/protocol/trace.ts) that the panel, the status bar and the CLI share, the trace
// folder rule, which snapshot a timeline pick asks for, and that the Result's JSON form keeps `replay` and `trace`
// (the panel's saved state, --json and the report go through it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AnalysisResult, ReplayCheck, TraceTimeline } from '../../src/protocol';
import {
  replayExplanation,
  replaySentence,
  replayShort,
  replayState,
  resultFromJson,
  resultToJson,
  sciNumber,
  snapshotAnalyzed,
  snapshotRequest,
} from '../../src/protocol';

function recorded(): AnalysisResult {
  return resultFromJson(JSON.parse(readFileSync(path.join(__dirname, '../fixtures/results/lstm.json'), 'utf8')));
}

function check(o: Partial<ReplayCheck> = {}): ReplayCheck {
  return {
    maxRelErr: 3.1e-7,
    compared: [
      { name: 'weight_hh_l0', relErr: 3.1e-7 },
      { name: 'h0', relErr: 1e-8 },
    ],
    tolerance: 1e-5,
    ok: true,
    approximate: null,
    dtype: 'float32',
    ...o,
  };
}

function timeline(o: Partial<TraceTimeline> = {}): TraceTimeline {
  const snap = (step: number, analyzed: boolean) => ({
    step,
    file: `step-${step}.safetensors`,
    loss: null,
    horizon: analyzed ? 12 : null,
    decaySlope: analyzed ? -0.1 : null,
    rho: analyzed ? 0.9 : null,
    sigmaMax: analyzed ? 1.1 : null,
    gradNorm: 0.5,
    maxRelErr: analyzed ? 3.1e-7 : null,
  });
  return {
    folder: 'runs/exp1.unroll-trace',
    shown: 1200,
    snapshots: [snap(1100, false), snap(1200, true)],
    config: { mode: 'LSTM', hidden_size: 32 },
    worldSize: 2,
    rank: 0,
    ...o,
  };
}

function traced(c: Partial<ReplayCheck> = {}, t: Partial<TraceTimeline> = {}): AnalysisResult {
  return { ...recorded(), replay: check(c), trace: timeline(t) };
}

describe('trace replay words', () => {
  it('writes errors and bounds the way numerical people do', () => {
    assert.equal(sciNumber(3.1e-7), '3.1e-07');
    assert.equal(sciNumber(1e-5), '1e-05');
    assert.equal(sciNumber(1e-10), '1e-10');
    assert.equal(sciNumber(0.0023), '2.3e-03');
    assert.equal(sciNumber(12), '1.2e+01');
    assert.equal(sciNumber(0), '0');
    assert.equal(sciNumber(NaN), 'NaN');
    assert.equal(sciNumber(Infinity), '∞');
  });

  it('says a replay within its bound matches, naming the step and the rank of a distributed run', () => {
    const r = traced();
    assert.equal(replayState(r.replay!), 'ok');
    assert.equal(
      replaySentence(r),
      'Replay of PyTorch step 1200 (rank 0 of 2): gradients match PyTorch to 3.1e-07 (float32, bound 1e-05)',
    );
    assert.equal(replayShort(r), 'step 1200 · replay ✓ 3.1e-07');
    assert.equal(
      replaySentence(traced({}, { worldSize: 1 })),
      'Replay of PyTorch step 1200: gradients match PyTorch to 3.1e-07 (float32, bound 1e-05)',
    );
    assert.equal(replaySentence(recorded()), undefined);
    assert.equal(replayShort(recorded()), undefined);
  });

  it('flags a mismatch in words, whether the check says so or the error exceeds the bound', () => {
    const r = traced({ ok: false, maxRelErr: 2.3e-3, compared: [{ name: 'weight_hh_l0', relErr: 2.3e-3 }] });
    assert.equal(replayState(r.replay!), 'mismatch');
    assert.equal(
      replaySentence(r),
      '⚠ Replay of PyTorch step 1200 (rank 0 of 2): gradients do NOT match PyTorch: relative error 2.3e-03 in weight_hh_l0 (float32, bound 1e-05)',
    );
    assert.equal(replayShort(r), 'step 1200 · replay MISMATCH 2.3e-03');
    assert.match(replayExplanation(r), /not what PyTorch computed/);
    // A check marked ok whose error is above its bound, or not finite, is still a mismatch: never hidden.
    assert.equal(replayState(check({ ok: true, maxRelErr: 2e-5 })), 'mismatch');
    assert.equal(replayState(check({ ok: true, maxRelErr: NaN })), 'mismatch');
    // The gradients may agree while the forward pass does not (a module other than the recorded config): a mismatch.
    const forward = traced({ forward: { maxRelErr: 0.4, compared: [{ name: 'output', relErr: 0.4 }], ok: false } });
    assert.equal(replayState(forward.replay!), 'mismatch');
    assert.match(
      replaySentence(forward)!,
      /^⚠ Replay of PyTorch step 1200 \(rank 0 of 2\): the replayed forward pass does NOT match PyTorch's: relative error 4e-01 in output/,
    );
  });

  it('flags an approximate replay (dropout between layers) even when its error is within the bound', () => {
    const r = traced({ ok: false, approximate: 'dropout 0.2 between layers', maxRelErr: 2e-7 });
    assert.equal(replayState(r.replay!), 'approximate');
    assert.match(
      replaySentence(r)!,
      /^⚠ Replay of PyTorch step 1200 \(rank 0 of 2\) is approximate \(dropout 0\.2 between layers\): gradients within 2e-07 of PyTorch, worst weight_hh_l0 \(float32; the exact bound 1e-05 does not apply\)$/,
    );
    assert.equal(replayShort(r), 'step 1200 · replay approximate');
    assert.match(replayExplanation(r), /weight_hh_l0 3\.1e-07, h0 1e-08/);
  });

  it('knows which snapshot a timeline pick asks for', () => {
    const t = timeline();
    assert.equal(snapshotRequest(t, 1200), 'latest', 'the last snapshot follows new ones');
    assert.equal(snapshotRequest(t, 1100), 1100);
    assert.equal(snapshotRequest(undefined, 5), 5);
    assert.deepEqual(t.snapshots.map(snapshotAnalyzed), [false, true]);
  });

  it('the Result’s JSON form keeps the replay check and the timeline', () => {
    const r = traced({ ok: false, maxRelErr: NaN });
    const back = resultFromJson(JSON.parse(JSON.stringify(resultToJson(r))));
    assert.deepEqual(back.trace, r.trace);
    assert.ok(Number.isNaN(back.replay!.maxRelErr), 'a non-finite error survives as NaN, not as 0 or a missing field');
    assert.deepEqual({ ...back.replay, maxRelErr: 0 }, { ...r.replay, maxRelErr: 0 });
    assert.equal(resultToJson(recorded()).replay, undefined);
  });
});
