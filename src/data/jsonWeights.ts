// Weights as JSON: { "<pytorch name>": nested lists in that tensor's shape }, the same names as safetensors.
import type { Tensor } from '../protocol/result';
import { fail, quote, START } from './errors';
import { nodePosition, parseJsonTree, readNumberNest } from './jsonTree';

export function readJsonWeights(text: string, file: string): Map<string, Tensor> {
  const root = parseJsonTree(text, file);
  if (root.type !== 'object') {
    fail(
      file,
      nodePosition(text, root),
      'weights JSON must be an object of { "name": nested lists }',
      'e.g. { "rnn.weight_ih_l0": [[0.1, 0.2]], "fc.bias": [0] }',
    );
  }
  const tensors = new Map<string, Tensor>();
  for (const property of root.children ?? []) {
    const [key, value] = property.children ?? [];
    if (!key || !value) continue;
    const name = String(key.value);
    if (tensors.has(name))
      fail(file, nodePosition(text, key), `tensor ${quote(name)} appears twice`, 'keep one of them');
    const { shape, values } = readNumberNest(value, text, file, `tensor ${quote(name)}`);
    tensors.set(name, { shape, data: values });
  }
  if (tensors.size === 0)
    fail(
      file,
      START,
      'no tensors in this weights file',
      'expected PyTorch state_dict names such as "rnn.weight_hh_l0"',
    );
  return tensors;
}

function nest(t: Tensor, dim: number, offset: number): unknown {
  if (dim === t.shape.length) return t.data[offset];
  const stride = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  return Array.from({ length: t.shape[dim] }, (_, i) => nest(t, dim + 1, offset + i * stride));
}

/** One tensor per line, so a diff of two weights files stays readable. */
export function writeJsonWeights(params: Map<string, Tensor>): string {
  const lines = [...params].map(([name, t]) => `  ${JSON.stringify(name)}: ${JSON.stringify(nest(t, 0, 0))}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}
