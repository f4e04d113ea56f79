// PyTorch-named parameters: shapes, initialization, shape checks.
// Names and layouts are those of nn.RNN/nn.LSTM/nn.GRU (registered as `rnn`; each cell module lists its own, see
// cells/index.ts) and nn.Linear (as `fc`).
import type { CellKind, ResolvedModel, Tensor } from '../protocol/result';
import type { ParamSet } from './types';
import { Rng } from './rng';
import { orthogonalFromNormals } from './linalg';
import { spectralRadius } from './eigen';
import { cellOf } from './cells';

export interface ParamShape {
  name: string;
  shape: number[];
}

/** Gate blocks of a cell (rows of W_ih/W_hh are G·H): the cell module's G, for callers that know only the kind. */
export function gateCount(kind: CellKind): number {
  return cellOf(kind).G;
}

export function paramShapes(model: ResolvedModel): ParamShape[] {
  const cell = cellOf(model.cell);
  const H = model.hidden;
  const out: ParamShape[] = [];
  for (let l = 0; l < model.layers; l++) {
    const D = l === 0 ? model.inputSize : H;
    for (const { name, shape } of cell.params(l, D, { H, P: H }, true)) out.push({ name: `rnn.${name}`, shape });
  }
  out.push({ name: 'fc.weight', shape: [model.outputSize, H] });
  out.push({ name: 'fc.bias', shape: [model.outputSize] });
  return out;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fresh parameters from model.init and model.seed. Draws happen in state_dict order, row-major, so the
 * same seed gives bit-identical weights.
 * - pytorch: every tensor U(−1/√H, 1/√H) (nn.RNN's default; nn.Linear's default is the same bound with fan_in = H).
 * - xavier: each gate block of W_ih/W_hh and fc.weight U(±gain·√(6/(fan_in+fan_out))), biases 0.
 * - orthogonal: each gate block of W_hh gain × orthogonal, W_ih and fc as xavier (with the gain), biases 0.
 * - identity: each gate block of W_hh = I (IRNN, Le et al. 2015), W_ih ~ N(0, 0.001²), fc as xavier, biases 0.
 * Then `spectralRadius` rescales each W_hh gate block to that ρ, and `forgetBias` sets the LSTM forget-gate bias
 * (in bias_ih; bias_hh's forget slice is zeroed so their sum is exactly the value).
 */
export function initParams(model: ResolvedModel): ParamSet {
  const rng = new Rng(model.seed);
  const H = model.hidden;
  const cell = cellOf(model.cell);
  const G = cell.G;
  const params: ParamSet = new Map();
  const bound = 1 / Math.sqrt(H);
  const kind = model.init.kind;
  // init.gain scales the xavier bound and the orthogonal blocks, as torch.nn.init's gain argument (absent: 1).
  const gain = kind === 'xavier' || kind === 'orthogonal' ? (model.init.gain ?? 1) : 1;
  for (const { name, shape } of paramShapes(model)) {
    const data = new Float64Array(size(shape));
    const isBias = name.includes('bias');
    const isHH = name.includes('weight_hh');
    const isIH = name.includes('weight_ih');
    if (kind === 'pytorch') {
      for (let i = 0; i < data.length; i++) data[i] = rng.range(-bound, bound);
    } else if (!isBias) {
      const cols = shape[1];
      const blockRows = isHH || isIH ? H : shape[0];
      const blocks = shape[0] / blockRows;
      for (let b = 0; b < blocks; b++) {
        const off = b * blockRows * cols;
        if (isHH && kind === 'orthogonal') {
          const g = new Float64Array(H * H);
          for (let i = 0; i < g.length; i++) g[i] = rng.normal();
          const q = orthogonalFromNormals(g, H);
          for (let i = 0; i < q.length; i++) data[off + i] = gain * q[i];
        } else if (isHH && kind === 'identity') {
          for (let i = 0; i < H; i++) data[off + i * H + i] = 1;
        } else if (isIH && kind === 'identity') {
          for (let i = 0; i < blockRows * cols; i++) data[off + i] = 0.001 * rng.normal();
        } else {
          const a = gain * Math.sqrt(6 / (blockRows + cols));
          for (let i = 0; i < blockRows * cols; i++) data[off + i] = rng.range(-a, a);
        }
      }
    }
    if (isHH && model.init.spectralRadius !== undefined) {
      for (let b = 0; b < G; b++) {
        const blk = data.subarray(b * H * H, (b + 1) * H * H);
        const rho = spectralRadius(blk, H);
        if (rho > 0) {
          const s = model.init.spectralRadius / rho;
          for (let i = 0; i < blk.length; i++) blk[i] *= s;
        }
      }
    }
    params.set(name, { shape, data });
  }
  for (let l = 0; l < model.layers; l++) {
    cell.initBiases(
      params.get(`rnn.bias_ih_l${l}`)?.data ?? null,
      params.get(`rnn.bias_hh_l${l}`)?.data ?? null,
      H,
      model.init,
    );
  }
  return params;
}

/** Problems of given weights against the model's shapes: a message per tensor, naming it and both shapes. */
export function checkParamShapes(model: ResolvedModel, params: Map<string, Tensor>): string[] {
  const problems: string[] = [];
  const expected = paramShapes(model);
  for (const { name, shape } of expected) {
    const t = params.get(name);
    if (!t) {
      problems.push(`missing tensor '${name}' (expected shape [${shape.join(', ')}])`);
      continue;
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor '${name}' has shape [${t.shape.join(', ')}] but this model needs [${shape.join(', ')}]`);
    } else if (t.data.length !== size(shape)) {
      problems.push(
        `tensor '${name}' has ${t.data.length} values but shape [${shape.join(', ')}] needs ${size(shape)}`,
      );
    }
  }
  const known = new Set(expected.map((e) => e.name));
  for (const name of params.keys()) {
    if (!known.has(name)) problems.push(`unexpected tensor '${name}' (this model has: ${[...known].join(', ')})`);
  }
  return problems;
}

export function cloneParams(p: ParamSet): ParamSet {
  const out: ParamSet = new Map();
  for (const [k, t] of p) out.set(k, { shape: [...t.shape], data: Float64Array.from(t.data) });
  return out;
}
