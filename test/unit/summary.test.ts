// The words Unroll prints about a Result: every verdict branch of the headline, the status bar line, the CLI summary
// and the glossary, on hand-built Results whose numbers are known.
import assert from 'node:assert/strict';
import { syntheticResult } from '../fixtures/results/synthetic';
import type { AnalysisResult, NonFinite, TrainingSummary, TrainPoint, WeightsState } from '../../src/protocol';
import {
  DIVERGING_GROWTH,
  GLOSSARY,
  LEARNED_RATIO,
  NOT_LEARNED_RATIO,
  healthLine,
  healthTooltip,
  lossWording,
  spectralVerdict,
  summarize,
  trainingVerdict,
  trainingVerdictKind,
} from '../../src/protocol';
import { humanSummary } from '../../src/cli/summary';

const INIT: WeightsState = { kind: 'initialization', init: 'pytorch' };

/** An RNN on "adding-lag50.csv" whose gradient falls ×0.72 per step (horizon 22 within 60 steps). */
function vanishing(
  over: { weights?: WeightsState; steps?: number; decay?: number; cell?: 'rnn' | 'lstm' | 'gru'; file?: string } = {},
): AnalysisResult {
  const r = syntheticResult({
    cell: over.cell ?? 'rnn',
    steps: over.steps ?? 60,
    hidden: 4,
    decay: over.decay ?? 0.72,
  });
  r.meta.dataFile = over.file ?? '/work/examples/adding-lag50.csv';
  if (over.weights !== null) r.meta.weights = over.weights ?? INIT;
  return r;
}

function point(epoch: number, loss: number, heldOutLoss: number | null, clipped = 0, batches = 20): TrainPoint {
  return {
    epoch,
    epochs: 30,
    loss,
    heldOutLoss,
    gradNorm: 1,
    gradNormMax: 2,
    clipped,
    batches,
    radius: 0.9,
    sigmaMax: 1.1,
    elapsedMs: 1,
  };
}

/** A 30-epoch run whose held-out loss ends at `final`, against a baseline of 0.167. */
function training(final: number | null, over: Partial<TrainingSummary> = {}, lastTrainLoss = 0.1): TrainingSummary {
  const history = Array.from({ length: 30 }, (_, i) =>
    point(i + 1, i === 29 ? lastTrainLoss : 0.5, i === 29 ? final : 0.4, i % 3 === 0 ? 2 : 0),
  );
  return {
    reason: 'finished',
    epochs: 30,
    unit: 'mean squared error per target step',
    trainSequences: 800,
    heldOutSequences: 200,
    batch: 16,
    baseline: { kind: 'mean', loss: 0.167, what: 'predicting the mean target' },
    history,
    nonFinite: null,
    ...over,
  };
}

describe('summary: the weights each sentence describes', () => {
  it('names initialization, training, a weights file, or says "these weights" when the Result does not say', () => {
    assert.match(
      summarize(vanishing()),
      /^At initialization \(pytorch init\), the gradient from step t reaches about 22 steps back/,
    );
    assert.match(
      summarize(vanishing({ weights: { kind: 'trained', epochs: 30, startedFrom: 'initialization' } })),
      /^After 30 epochs of training, the gradient/,
    );
    assert.match(
      summarize(vanishing({ weights: { kind: 'trained', epochs: 1, startedFrom: 'file' } })),
      /^After 1 epoch of training from the weights file, /,
    );
    assert.match(
      summarize(vanishing({ weights: { kind: 'trained', epochs: 0, startedFrom: 'file' } })),
      /^With the weights where training from the weights file stopped, within its first epoch, the gradient/,
    );
    assert.match(
      summarize(vanishing({ weights: { kind: 'file', path: '/w/trained.safetensors' } })),
      /^With the weights in trained\.safetensors, the gradient/,
    );
    assert.match(
      summarize(vanishing({ weights: { kind: 'file', path: 'C:\\w\\t.safetensors', trainedEpochs: 12 } })),
      /^With the weights in t\.safetensors \(12 epochs of Unroll training\), /,
    );
    const bare = vanishing();
    delete bare.meta.weights;
    assert.match(summarize(bare), /^With these weights, the gradient/);
  });

  it('the status bar says which weights, and its tooltip carries the headline', () => {
    assert.equal(healthLine(vanishing()), '∇ horizon 22 steps · σmax 0.90 · at init');
    assert.match(
      healthLine(vanishing({ weights: { kind: 'trained', epochs: 30, startedFrom: 'initialization' } })),
      / · trained 30 ep$/,
    );
    assert.match(healthLine(vanishing({ weights: { kind: 'file', path: 'w.safetensors' } })), / · weights file$/);
    const tip = healthTooltip(vanishing());
    assert.ok(tip.startsWith(summarize(vanishing())), tip);
    assert.match(tip, /σmax: the largest singular value of weight_hh_l0/);
  });
});

describe('summary: what the untrained gradient predicts', () => {
  it('vanishing: the gradient at the lag the file name states, as a fraction; never "cannot learn"', () => {
    const r = vanishing();
    const s = summarize(r);
    // meanLog10 falls log10(0.72) per step: at d = 50 that is 50·log10(0.72) ≈ −7.13
    assert.match(
      s,
      /The gradient reaching 50 steps back is 1e-7 of its size at d = 0: training starts with almost no learning signal for the lag-50 dependency this file's name states; train to see whether the RNN opens a path to it\./,
    );
    assert.doesNotMatch(s, /cannot/);
    // trained weights: a statement about the signal, not about the future of learning
    const t = summarize(vanishing({ weights: { kind: 'trained', epochs: 30, startedFrom: 'initialization' } }));
    assert.match(t, /little learning signal reaches the lag-50 dependency this file's name states\./);
    assert.doesNotMatch(t, /will be hard|cannot/);
  });

  it('a horizon beyond the lag: enough signal; no lag in the name: the generic consequence', () => {
    assert.match(
      summarize(vanishing({ decay: 0.97, steps: 300, file: 'copy-lag20.csv' })),
      /reaches about 227 steps back .* Enough for a learning signal to reach the lag-20 dependency this file's name states\./,
    );
    assert.match(
      summarize(vanishing({ file: 'sine.csv' })),
      /22 steps back before falling below 1\/1000 of its size\. Dependencies longer than that get almost no learning signal\.$/,
    );
  });

  it('no decay within the span: says so over the steps measured, and whether they reach the lag', () => {
    const r = vanishing({ decay: 0.99, steps: 40 });
    assert.equal(r.flow.decay.horizon, null);
    assert.match(
      summarize(r),
      /^At initialization \(pytorch init\), the gradient from step t keeps more than 1\/1000 of its size across all 40 steps measured\. The 40 steps measured do not reach the lag-50 dependency this file's name states\.$/,
    );
    assert.match(
      summarize(vanishing({ decay: 0.99, steps: 40, file: 'adding-lag10.csv' })),
      /across all 40 steps measured\. Enough for a learning signal to reach the lag-10/,
    );
    assert.equal(healthLine(r), '∇ no decay over 40 steps · σmax 1.24 · at init');
  });

  it('exploding: the measured growth per step and γσ_max for an RNN, the step gain for a gated cell', () => {
    const r = vanishing({ decay: 1.2, steps: 30 });
    r.flow.decay.horizon = null; // growing: it never falls below 1/1000
    assert.match(
      summarize(r),
      /^At initialization \(pytorch init\), the gradient grows as it flows back, about ×1\.2 per step over the \d+ distances measured \(γσ_max = 1\.50\); kept up over longer spans, that growth explodes/,
    );
    assert.equal(healthLine(r), '∇ exploding ×1.2/step · σmax 1.50 · at init');
    const g = vanishing({ decay: 1.2, steps: 30, cell: 'gru' });
    g.flow.decay.horizon = null;
    g.spectral.stepGain = 1.3;
    assert.match(summarize(g), /about ×1\.2 per step over the \d+ distances measured \(measured step gain 1\.30\)/);
  });

  it('a decay that cannot be measured (zero or overflowed at most distances) claims no reach', () => {
    const r = vanishing({ decay: 0.99, steps: 40 });
    r.flow.decay.slope = NaN;
    r.flow.decay.meanLog10 = r.flow.decay.meanLog10.map((v, d) => (d === 0 ? v : NaN));
    const s = summarize(r);
    assert.match(
      s,
      /^At initialization \(pytorch init\), the gradient's decay cannot be measured: ‖∂ℓ_t\/∂h_k‖ is zero or not finite at most distances/,
    );
    assert.doesNotMatch(s, /keeps more than|reaches about/);
    assert.equal(healthLine(r), '∇ decay not measurable · σmax 1.24 · at init');
    assert.match(
      humanSummary(r, 'x.csv'),
      /memory horizon {2}not measurable: the gradient is zero or not finite at most distances\n/,
    );
  });

  it('a single step has no distance to travel', () => {
    const r = vanishing({ steps: 1 });
    assert.match(summarize(r), /^With a single step the gradient has no distance to travel/);
    assert.equal(healthLine(r), '∇ one step, no distance · σmax 0.90 · at init');
    assert.match(humanSummary(r, 'one.csv'), /memory horizon {2}none to measure/);
  });

  it('a non-finite analysis names the weights and the place', () => {
    const r = vanishing();
    r.nonFinite = { step: 12, what: 'hidden state h_t of layer 0 is not finite' };
    assert.match(
      summarize(r),
      /^At initialization \(pytorch init\), the RNN's hidden state h_t of layer 0 is not finite at step 12: the computation overflowed\./,
    );
    assert.match(healthLine(r), /^∇ non-finite at step 12 · /);
  });
});

describe('summary: ρ and σ_max, and the measured step gain', () => {
  const rnn = (radius: number, sigmaMax: number, stepGain: number | null = null) => {
    const r = vanishing();
    Object.assign(r.spectral, { radius, sigmaMax, stepGain });
    return r;
  };

  it('vanilla RNN: must vanish (σ_max < 1/γ), can explode (ρ > 1/γ), neither, with the reason', () => {
    assert.match(
      spectralVerdict(rnn(0.5, 0.8)),
      /^long-range gradients must vanish: σ_max < 1\/γ makes every step shrink them/,
    );
    assert.match(spectralVerdict(rnn(1.5, 1.7)), /^long-range gradients can explode: ρ > 1\/γ/);
    const neither = spectralVerdict(rnn(0.62, 1.05));
    assert.match(
      neither,
      /^neither vanishing nor exploding is guaranteed: σ_max ≥ 1\/γ, so the bound \(γσ_max\)\^d allows growth, but ρ ≤ 1\/γ, so no direction of W_hh is amplified/,
    );
    assert.doesNotMatch(neither, /on this sequence/);
    assert.match(
      spectralVerdict(rnn(0.62, 1.05, 0.9)),
      /on this sequence the measured step gain is 0\.90 < 1, so here they shrink$/,
    );
  });

  it('gated cell with candidate ρ > 1 and measured gain < 1: no "can explode", the gain is the measured number', () => {
    const r = vanishing({ cell: 'lstm', decay: 0.93, steps: 120 });
    Object.assign(r.spectral, { radius: 3.97, sigmaMax: 4.2, stepGain: 0.97, matrix: 'rnn.weight_hh_l0[g]' });
    const v = spectralVerdict(r);
    assert.equal(
      v,
      "ρ and σ_max describe the candidate block W_hg only, not the gated step; the gradient's measured per-step gain is 0.97 < 1: it must shrink as it flows back, each step keeping at most ×0.97 of it on average over the sequence",
    );
    const text = humanSummary(r, 'adding-lag50.lstm.unroll.json');
    assert.doesNotMatch(text.slice(0, text.indexOf('What the numbers mean:')), /explod/);
    assert.match(
      text,
      /W_hg candidate  ρ = 3\.97 > 1\/γ = 1, σ_max = 4\.2 > 1\/γ: ρ and σ_max describe the candidate block W_hg only/,
    );
    assert.match(
      text,
      /step gain {7}0\.97 per step at most \(geometric mean over steps of ‖∂\(h_t, c_t\)\/∂\(h_{t−1}, c_{t−1}\)‖₂, gates included\)/,
    );
    assert.equal(healthLine(r), '∇ horizon 96 steps · gain 0.97/step · at init');
    assert.match(healthTooltip(r), /gain: the measured per-step gain/);
    // a gain above 1 allows growth but the slope decides
    r.spectral.stepGain = 1.1;
    assert.match(
      spectralVerdict(r),
      /1\.10 ≥ 1: the gated steps allow growth, and the decay slope shows whether it happens$/,
    );
  });

  it('the CLI shows the RNN step gain under its bound γσ_max', () => {
    const text = humanSummary(rnn(0.62, 1.05, 1.02), 'x.csv');
    assert.match(
      text,
      /step gain {7}1\.02 per step at most \(geometric mean over steps of ‖∂h_t\/∂h_{t−1}‖₂\) ≤ γσ_max = 1\.05 \(the bound\)/,
    );
  });
});

describe('summary: what training measured', () => {
  it('thresholds: learned ≤ 0.5× the baseline, not learned ≥ 0.8×, partly learned between', () => {
    assert.equal(LEARNED_RATIO, 0.5);
    assert.equal(NOT_LEARNED_RATIO, 0.8);
    assert.equal(trainingVerdictKind(training(0.167 * 0.5)), 'learned');
    assert.equal(trainingVerdictKind(training(0.167 * 0.51)), 'partly learned');
    assert.equal(trainingVerdictKind(training(0.167 * 0.79)), 'partly learned');
    assert.equal(trainingVerdictKind(training(0.167 * 0.8)), 'not learned');
  });

  it('a baseline of loss 0 (constant targets) judges nothing', () => {
    const t = training(0.01, { baseline: { kind: 'mean', loss: 0, what: 'predicting the mean target' } });
    assert.equal(trainingVerdictKind(t), 'not judged');
    assert.equal(
      trainingVerdict(t),
      'Trained for 30 epochs: held-out loss 0.01 (mean squared error per target step); predicting the mean target has loss 0, so there is no trivial predictor to measure learning against.',
    );
  });

  it('learned / partly / not learned: the held-out loss against the baseline, in the unit', () => {
    assert.equal(
      trainingVerdict(training(0.012)),
      'Learned: held-out loss 0.012 vs 0.167 for predicting the mean target (mean squared error per target step), after 30 epochs.',
    );
    assert.match(trainingVerdict(training(0.1)), /^Partly learned: held-out loss 0\.1 vs 0\.167/);
    assert.match(
      trainingVerdict(training(0.16)),
      /^Not learned: held-out loss 0\.16 vs 0\.167 for predicting the mean target/,
    );
    // nothing held out: the training loss, said so
    assert.match(
      trainingVerdict(training(null, { heldOutSequences: 0 }, 0.01)),
      /^Learned: training loss \(nothing held out\) 0\.01 vs 0\.167/,
    );
  });

  it('the headline leads with the training verdict, then the gradient at the trained weights', () => {
    const r = vanishing({ weights: { kind: 'trained', epochs: 30, startedFrom: 'initialization' } });
    r.training = training(0.16);
    const s = summarize(r);
    assert.match(
      s,
      /^Not learned: held-out loss 0\.16 vs 0\.167 .* after 30 epochs\. After 30 epochs of training, the gradient from step t reaches about 22 steps back/,
    );
    assert.equal(healthLine(r), '∇ horizon 22 steps · not learned · σmax 0.90 · trained 30 ep');
  });

  it('diverged: the place (epoch, batch of batches, step, tensor) and the last finite batch', () => {
    const nonFinite: NonFinite = {
      step: 17,
      what: 'hidden state is not finite',
      epoch: 41,
      batch: 3,
      batches: 20,
      tensor: 'h_t (layer 0)',
      lastFinite: { epoch: 41, batch: 2, loss: 3.2e140, gradNorm: 5e70, radius: 9, sigmaMax: 11 },
    };
    const t = training(null, {
      reason: 'nonFinite',
      epochs: 40,
      nonFinite,
      history: training(0.1).history.slice(0, 40),
    });
    assert.equal(trainingVerdictKind(t), 'diverged');
    assert.equal(
      trainingVerdict(t),
      'Training diverged at epoch 41 (batch 3 of 20, step 17, h_t (layer 0)): hidden state is not finite; the last finite batch (epoch 41, batch 2) had loss 3.2e+140 and gradient norm 5.0e+70. Clip the gradient by norm or lower the learning rate.',
    );
    // not tied to a step: no "step -1"
    assert.doesNotMatch(
      trainingVerdict({
        ...t,
        nonFinite: { step: -1, what: 'gradient norm is not finite', epoch: 2, batch: 1, batches: 4 },
      }),
      /step -1/,
    );
    // the later sentence about the gradient does not stand alone: the divergence comes first
    const r = vanishing({
      decay: 0.99,
      steps: 100,
      weights: { kind: 'trained', epochs: 40, startedFrom: 'initialization' },
    });
    r.training = t;
    assert.match(
      summarize(r),
      /^Training diverged at epoch 41 .* After 40 epochs of training, the gradient from step t keeps more than 1\/1000 of its size across all 100 steps measured\./,
    );
  });

  it("diverging: the training loss grew past DIVERGING_GROWTH× its first epoch's, from the run's record or the history", () => {
    assert.equal(DIVERGING_GROWTH, 1e6);
    const history = [point(1, 1.15, 1.2), point(2, 50, 60), point(3, 1.15e148, 2e148)];
    const t = training(null, { epochs: 3, history });
    assert.equal(trainingVerdictKind(t), 'diverging');
    const said =
      'Diverging: the training loss grew up to ×1.0e+148 since epoch 1 (1.15 → 1.2e+148 mean squared error per target step at epoch 3), past ×1.0e+6 from epoch 3. Clip the gradient by norm or lower the learning rate.';
    assert.equal(trainingVerdict(t), said);
    assert.equal(trainingVerdict({ ...t, diverging: { epoch: 3, factor: 1e148 } }), said);
    // the training loop's record wins: it saw every batch
    assert.equal(
      trainingVerdictKind({
        ...t,
        history: [point(1, 1, 1), point(2, 0.1, 0.01)],
        diverging: { epoch: 2, factor: 2e6 },
      }),
      'diverging',
    );
    // ×1e6 exactly is not past the threshold: judged against the baseline (held-out 1 vs 0.167: not learned)
    assert.equal(trainingVerdictKind({ ...t, history: [point(1, 1, 1.2), point(2, 1e6, 1)] }), 'not learned');
  });

  it('cancelled: how far it got, and the verdict so far; before the first epoch: nothing to judge', () => {
    const t = training(0.012, { reason: 'cancelled', epochs: 12 });
    assert.equal(
      trainingVerdict(t),
      'Stopped after 12 epochs; so far learned: held-out loss 0.012 vs 0.167 for predicting the mean target (mean squared error per target step).',
    );
    assert.equal(
      trainingVerdict(training(null, { reason: 'cancelled', epochs: 0, history: [] })),
      'Stopped after 0 epochs before the first epoch finished: there is no loss yet to judge what was learned.',
    );
  });

  it('the CLI summary shows the verdict, the split, the loss unit and clipped N of M batches', () => {
    const r = vanishing({ weights: { kind: 'trained', epochs: 30, startedFrom: 'initialization' } });
    r.training = training(0.012);
    const text = humanSummary(r, 'adding-lag50.rnn.unroll.json');
    assert.match(text, /\n {2}weights {9}after 30 epochs of training\n/);
    assert.match(text, /\n {2}training {8}Learned: held-out loss 0\.012 vs 0\.167/);
    // every third epoch of 30 clipped 2 of its 20 batches: 10 × 2 of 600
    assert.match(
      text,
      /800 training sequences, 200 held-out sequences, batches of 16; losses in mean squared error per target step; clipped 20 of 600 batches/,
    );
  });
});

describe('summary: the loss and the terms', () => {
  it('seq-to-one: the loss at the last step, the only step with a target; otherwise the sum over N target steps', () => {
    const r = vanishing();
    assert.equal(r.model.task, 'seq-to-one');
    assert.equal(lossWording(r), 'squared error summed over outputs at the last step, the only step with a target');
    assert.doesNotMatch(humanSummary(r, 'a.csv'), /sum over/);
    const n = vanishing();
    n.model = { ...n.model, task: 'next-step' };
    assert.match(
      lossWording(n),
      /^sum over 60 target steps of the squared error summed over outputs; mean [\d.]+ per target step$/,
    );
    const x = vanishing({ steps: 10 });
    x.model = { ...x.model, task: 'char-lm', loss: 'xent' };
    x.flow.exact = false;
    x.lossPerStep[3] = 0; // a step with no target
    assert.match(lossWording(x), /^sum over 9 target steps of the cross-entropy/);
  });

  it("every term the CLI prints is explained once, in the glossary's words", () => {
    const text = humanSummary(vanishing(), 'adding-lag50.rnn.unroll.json');
    const meaning = text.slice(text.indexOf('What the numbers mean:'));
    for (const [term, words] of Object.entries(GLOSSARY)) {
      if (term === 'stepGain' || term === 'bound') continue; // the synthetic Result has no step gain
      assert.equal(meaning.split(words).length - 1, 1, term);
    }
    assert.match(meaning, /γ: γ bounds the slope of the nonlinearity/);
    assert.match(meaning, /alive fraction: The alive fraction is the share of steps/);
  });

  it('the glossary has every term, each a sentence or more', () => {
    const keys = ['gamma', 'radius', 'sigmaMax', 'horizon', 'slope', 'alive', 'flowRow', 'stepGain', 'bound'];
    assert.deepEqual(Object.keys(GLOSSARY).sort(), keys.sort());
    for (const k of keys)
      assert.ok(
        GLOSSARY[k as keyof typeof GLOSSARY].length > 60 && GLOSSARY[k as keyof typeof GLOSSARY].endsWith('.'),
        k,
      );
  });
});
