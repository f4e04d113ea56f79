// Optimizers (PyTorch's update rules and defaults) and gradient clipping.
import type { ResolvedModel } from '../protocol/result';
import type { ParamSet } from './types';

export interface ClipReport {
  /** Global L2 norm of the gradient before clipping. */
  norm: number;
  /** Whether clipping changed the gradient. */
  fired: boolean;
}

/**
 * By norm (Pascanu et al. 2013): if ‖g‖ > τ then g ← g·τ/(‖g‖ + 1e-6), as torch.nn.utils.clip_grad_norm_.
 * By value: each entry clamped to [−v, v] (this changes the gradient's direction).
 */
export function clipGradients(grads: ParamSet, clip: ResolvedModel['clip']): ClipReport {
  let s = 0;
  // one running sum over every entry, in state_dict order (indexed: an iterator boxes each value until optimized)
  for (const g of grads.values()) {
    const d = g.data;
    for (let i = 0; i < d.length; i++) s += d[i] * d[i];
  }
  const norm = Math.sqrt(s);
  if (!clip) return { norm, fired: false };
  let fired = false;
  if (clip.norm !== undefined && norm > clip.norm) {
    const scale = clip.norm / (norm + 1e-6);
    for (const g of grads.values()) for (let i = 0; i < g.data.length; i++) g.data[i] *= scale;
    fired = true;
  } else if (clip.value !== undefined) {
    const v = clip.value;
    for (const g of grads.values()) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) {
        if (d[i] > v) {
          d[i] = v;
          fired = true;
        } else if (d[i] < -v) {
          d[i] = -v;
          fired = true;
        }
      }
    }
  }
  return { norm, fired };
}

export class Optimizer {
  private step = 0;
  private m = new Map<string, Float64Array>();
  private v = new Map<string, Float64Array>();

  constructor(private readonly spec: ResolvedModel['optimizer']) {}

  private state(map: Map<string, Float64Array>, name: string, n: number): Float64Array {
    let a = map.get(name);
    if (!a) {
      a = new Float64Array(n);
      map.set(name, a);
    }
    return a;
  }

  /** θ ← update(θ, g) for every parameter. */
  apply(params: ParamSet, grads: ParamSet): void {
    this.step++;
    const { kind, lr } = this.spec;
    for (const [name, t] of params) {
      const p = t.data;
      const g = grads.get(name)!.data;
      const n = p.length;
      switch (kind) {
        case 'sgd':
          for (let i = 0; i < n; i++) p[i] -= lr * g[i];
          break;
        case 'momentum': {
          const mu = this.spec.momentum ?? 0.9;
          const buf = this.state(this.m, name, n);
          // PyTorch: b ← μ b + g (b = g on the first step), θ ← θ − lr b
          for (let i = 0; i < n; i++) {
            buf[i] = this.step === 1 ? g[i] : mu * buf[i] + g[i];
            p[i] -= lr * buf[i];
          }
          break;
        }
        case 'adam': {
          const b1 = this.spec.beta1 ?? 0.9,
            b2 = this.spec.beta2 ?? 0.999,
            eps = this.spec.eps ?? 1e-8;
          const m = this.state(this.m, name, n),
            v = this.state(this.v, name, n);
          const c1 = 1 - Math.pow(b1, this.step),
            c2 = 1 - Math.pow(b2, this.step);
          const a1 = 1 - b1,
            a2 = 1 - b2;
          // one read and one write of each entry (the same operations, in the same order, as PyTorch's formula)
          for (let i = 0; i < n; i++) {
            const gi = g[i];
            const mi = b1 * m[i] + a1 * gi;
            const vi = b2 * v[i] + a2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
          }
          break;
        }
        case 'adagrad': {
          const eps = this.spec.eps ?? 1e-10;
          const s = this.state(this.v, name, n);
          for (let i = 0; i < n; i++) {
            s[i] += g[i] * g[i];
            p[i] -= (lr * g[i]) / (Math.sqrt(s[i]) + eps);
          }
          break;
        }
        case 'rmsprop': {
          const alpha = this.spec.beta2 ?? 0.99,
            eps = this.spec.eps ?? 1e-8;
          const s = this.state(this.v, name, n);
          for (let i = 0; i < n; i++) {
            s[i] = alpha * s[i] + (1 - alpha) * g[i] * g[i];
            p[i] -= (lr * g[i]) / (Math.sqrt(s[i]) + eps);
          }
          break;
        }
      }
    }
  }
}
