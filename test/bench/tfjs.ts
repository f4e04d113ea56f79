// The same workloads in TensorFlow.js (tfjs-core with the pure-JavaScript CPU backend, float32): the network is
// written out step by step, and tf.grads returns the gradients of every weight plus ∂L/∂h_t for every step
// (through a zero "probe" tensor added to each h_t, whose gradient is exactly ∂L/∂h_t).
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers its gradient functions and kernels in side-effect modules (the `tfjs` umbrella package imports them).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { makeBatch, type Workload } from './workloads';
import { timeIt, type Timing, type TimingPlan } from './timing';

type Tensor = tf.Tensor;

export async function initTfjs(): Promise<void> {
  tf.env().set('PROD', true); // production mode: no debug checks, and no advice to install tfjs-node on the console
  await tf.setBackend('cpu');
  await tf.ready();
}

export function tfjsForwardBackward(w: Workload, plan?: TimingPlan): Promise<Timing> {
  const { T, B, D, H, O, cell } = w;
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  const batch = makeBatch(w);
  // [T][B][·] layout, as the engine's buffers.
  const xs = new Float32Array(T * B * D),
    ys = new Float32Array(T * B * O);
  batch.forEach((s, b) => {
    for (let t = 0; t < T; t++) {
      xs.set(s.inputs.subarray(t * D, (t + 1) * D), (t * B + b) * D);
      ys.set(s.targets.subarray(t * O, (t + 1) * O), (t * B + b) * O);
    }
  });
  const x = tf.tensor2d(xs, [T * B, D]);
  const y = tf.tensor2d(ys, [T * B, O]);
  const bound = 1 / Math.sqrt(H);
  const u = (shape: number[]) => tf.randomUniform(shape, -bound, bound, 'float32', 3);
  const weights = [u([G * H, D]), u([G * H, H]), u([G * H]), u([G * H]), u([O, H]), u([O])];
  const probe = tf.zeros([T, B, H]);

  const loss = (W_ih: Tensor, W_hh: Tensor, b_ih: Tensor, b_hh: Tensor, W_fc: Tensor, b_fc: Tensor, dh: Tensor) => {
    const pre = tf.reshape(tf.add(tf.matMul(x, W_ih as tf.Tensor2D, false, true), b_ih), [T, B, G * H]);
    const preSteps = tf.unstack(pre);
    const probes = tf.unstack(dh);
    let h: Tensor = tf.zeros([B, H]);
    let c: Tensor = tf.zeros([B, H]);
    const hs: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const rec = tf.add(tf.matMul(h as tf.Tensor2D, W_hh as tf.Tensor2D, false, true), b_hh);
      if (cell === 'rnn') {
        h = tf.tanh(tf.add(preSteps[t], rec));
      } else if (cell === 'lstm') {
        const [i, f, g, o] = tf.split(tf.add(preSteps[t], rec), 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
        h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      } else {
        const [xr, xz, xn] = tf.split(preSteps[t], 3, 1);
        const [hr, hz, hn] = tf.split(rec, 3, 1);
        const r = tf.sigmoid(tf.add(xr, hr));
        const z = tf.sigmoid(tf.add(xz, hz));
        const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
        h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h));
      }
      h = tf.add(h, probes[t]);
      hs.push(h);
    }
    const out = tf.add(tf.matMul(tf.concat(hs, 0) as tf.Tensor2D, W_fc as tf.Tensor2D, false, true), b_fc);
    return tf.sum(tf.square(tf.sub(out, y))) as tf.Scalar;
  };
  const gradsOf = tf.grads((...args: Tensor[]) => loss(args[0], args[1], args[2], args[3], args[4], args[5], args[6]));
  return timeIt(() => {
    tf.tidy(() => {
      const grads = gradsOf([...weights, probe]);
      grads[grads.length - 1].dataSync(); // the CPU backend is eager; this only guards against a lazy one
    });
  }, plan);
}
