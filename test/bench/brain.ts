// The same workloads in brain.js (its recurrent time-step nets, float32, one sequence at a time: it has no batch).
// brain.js needs gpu.js, whose native `gl` dependency cannot build here, so it is not a devDependency (that would
// break `npm ci`); the bench installs it once into .cache/bench with --ignore-scripts, where its CPU path works.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadOptional } from './optional';
import { makeBatch, type Workload } from './workloads';
import { timeIt, type Timing, type TimingPlan } from './timing';

const BRAIN_SPEC = ['brain.js@2.0.0-beta.24', 'gpu.js@^2.16.0'];

interface TimeStepNet {
  initialize(): void;
  /** Forward over the sequence, each step predicting the next vector; leaves the output errors for backpropagate. */
  trainArrayOfArray(sequence: Float32Array[]): number;
  backpropagate(): void;
}
type TimeStepCtor = new (options: { inputSize: number; hiddenLayers: number[]; outputSize: number }) => TimeStepNet;
interface Brain {
  recurrent: { RNNTimeStep: TimeStepCtor; LSTMTimeStep: TimeStepCtor; GRUTimeStep: TimeStepCtor };
}

export function loadBrain(repoRoot: string, log: (line: string) => void): { brain: Brain } | { missing: string } {
  const folder = resolve(repoRoot, '.cache', 'bench');
  if (!existsSync(join(folder, 'node_modules', 'brain.js'))) {
    log(`brain.js: installing ${BRAIN_SPEC.join(' ')} into ${folder} (once, --ignore-scripts)`);
    const npm = spawnSync(
      'npm',
      ['install', '--prefix', folder, '--ignore-scripts', '--no-audit', '--no-fund', '--no-save', ...BRAIN_SPEC],
      {
        encoding: 'utf8',
      },
    );
    if (npm.status !== 0)
      return {
        missing: `brain.js could not be installed: ${(npm.stderr || npm.error?.message || '').trim().split('\n').pop()}`,
      };
  }
  const loaded = loadOptional<Brain>('brain.js', folder);
  return 'missing' in loaded ? loaded : { brain: loaded.module };
}

/**
 * Forward + backpropagation through time (no weight update) of B sequences, one after another. brain.js's
 * time-step nets predict step t+1's vector from step t, so a sequence is T+1 input vectors of size D (= O here).
 * Its RNN cell is ReLU (its only choice); LSTM and GRU are the usual cells.
 */
export function brainForwardBackward(brain: Brain, w: Workload, plan?: TimingPlan): Promise<Timing> {
  if (w.D !== w.O) throw new Error('brain.js time-step nets need inputSize = outputSize');
  const Ctor = {
    rnn: brain.recurrent.RNNTimeStep,
    lstm: brain.recurrent.LSTMTimeStep,
    gru: brain.recurrent.GRUTimeStep,
  }[w.cell];
  const net = new Ctor({ inputSize: w.D, hiddenLayers: [w.H], outputSize: w.O });
  net.initialize();
  const sequences = makeBatch({ ...w, T: w.T + 1 }).map((s) =>
    Array.from({ length: s.T }, (_, t) => Float32Array.from(s.inputs.subarray(t * w.D, (t + 1) * w.D))),
  );
  return timeIt(() => {
    for (const seq of sequences) {
      net.trainArrayOfArray(seq);
      net.backpropagate();
    }
  }, plan);
}
