// TEMPORARY stand-in for the training helper's `trainLoaded` (src/worker/jobs.ts on branch h1), with the same
// signature, so the compare code can be written and tested before it lands. Removed when that branch is merged.
import type { LoadedAnalysis } from '../data';
import { Trainer, type ParamSet } from '../engine';
import type { NonFinite, ResolvedModel, TrainingSummary, TrainPoint } from '../protocol/result';
import type { TrainHooks } from './jobs';

const clock = () => performance.now();

export async function trainLoaded(
  loaded: LoadedAnalysis,
  model: ResolvedModel,
  params: ParamSet,
  epochs: number,
  hooks: TrainHooks & { onProgress(point: TrainPoint): void },
): Promise<{ summary: TrainingSummary }> {
  const trainer = new Trainer(model, params);
  const started = clock();
  const history: TrainPoint[] = [];
  let reason: TrainingSummary['reason'] = 'finished';
  let nonFinite: NonFinite | null = null;
  training: for (let epoch = 1; epoch <= epochs; epoch++) {
    let loss = 0, gradNorm = 0, gradNormMax = 0, clipped = 0, n = 0;
    for (const batch of trainer.batches(loaded.dataset, epoch)) {
      if (hooks.shouldStop()) {
        reason = 'cancelled';
        hooks.onStopping?.();
        break training;
      }
      const step = trainer.step(batch.map((i) => loaded.dataset.sequences.get(i)));
      if (step.nonFinite) {
        reason = 'nonFinite';
        nonFinite = { ...step.nonFinite, epoch };
        break training;
      }
      loss += step.loss;
      gradNorm += step.gradNorm;
      gradNormMax = Math.max(gradNormMax, step.gradNorm);
      clipped += step.clipped ? 1 : 0;
      n++;
      await hooks.yieldNow();
    }
    const { radius, sigmaMax } = trainer.spectral();
    const point: TrainPoint = { epoch, epochs, loss: n ? loss / n : NaN, heldOutLoss: null, gradNorm: n ? gradNorm / n : NaN, gradNormMax, clipped, batches: n, radius, sigmaMax, elapsedMs: clock() - started };
    history.push(point);
    hooks.onProgress(point);
  }
  return {
    summary: {
      reason,
      epochs: history.length,
      unit: 'loss per sequence (sum over steps)',
      trainSequences: loaded.dataset.sequences.count,
      heldOutSequences: 0,
      batch: model.batch,
      baseline: { kind: 'mean', loss: NaN, what: 'not measured' },
      history,
      nonFinite,
    },
  };
}
