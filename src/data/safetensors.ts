// safetensors: an 8-byte little-endian header length, a JSON header { name: { dtype, shape, data_offsets } },
// then the raw little-endian tensor bytes. Names and layouts are PyTorch's state_dict (DESIGN.md §3).
import type { Tensor } from '../protocol/result';
import { fail, positionInBytes, START } from './errors';
import { encodeUtf8, textDecoder } from './textCodec';

const ITEM_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2 };
/** The Rust reference refuses headers above 100 MB; so do we, before allocating anything. */
const MAX_HEADER_BYTES = 100_000_000;
const HEADER_START = 8;

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function isShape(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((n) => Number.isSafeInteger(n) && n >= 0);
}

export function readSafetensors(bytes: Uint8Array, file: string): Map<string, Tensor> {
  const hint = 'write it with safetensors (e.g. safetensors.torch.save_file(model.state_dict(), path))';
  if (bytes.length < HEADER_START) fail(file, START, `too short for a safetensors file (${bytes.length} bytes)`, hint);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES || HEADER_START + low > bytes.length) {
    fail(file, START, `the header length in the first 8 bytes (${high * 2 ** 32 + low}) does not fit a ${bytes.length}-byte file`, hint);
  }
  const dataStart = HEADER_START + low;
  const at = (byteOffset: number) => positionInBytes(bytes, byteOffset);
  let header: unknown;
  try {
    header = JSON.parse(textDecoder('utf-8', true).decode(bytes.subarray(HEADER_START, dataStart)));
  } catch {
    fail(file, at(HEADER_START), 'the safetensors header is not valid JSON', hint);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail(file, at(HEADER_START), 'the safetensors header is not a JSON object', hint);
  const dataBytes = bytes.length - dataStart;
  const tensors = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const where = at(HEADER_START);
    if (typeof entry !== 'object' || entry === null) fail(file, where, `tensor "${name}": its header entry is not an object`, hint);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in ITEM_BYTES)) {
      fail(file, where, `tensor "${name}" has dtype ${JSON.stringify(dtype)}; Unroll reads F32, F64, F16 and BF16`, 'save floating-point weights (model.float() or model.double())');
    }
    if (!isShape(shape)) fail(file, where, `tensor "${name}": shape must be a list of non-negative integers`, hint);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isShape(offsets) || offsets[0] > offsets[1] || offsets[1] > dataBytes) {
      fail(file, where, `tensor "${name}": data_offsets ${JSON.stringify(offsets)} fall outside the ${dataBytes} data bytes`, 'the file may be truncated; save it again');
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const item = ITEM_BYTES[dtype];
    if (offsets[1] - offsets[0] !== count * item) {
      fail(file, where, `tensor "${name}": shape [${shape.join(', ')}] of ${dtype} needs ${count * item} bytes, data_offsets give ${offsets[1] - offsets[0]}`, hint);
    }
    tensors.set(name, { shape: [...shape], data: decodeValues(view, dataStart + offsets[0], count, dtype) });
  }
  return tensors;
}

function decodeValues(view: DataView, start: number, count: number, dtype: string): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case 'F64':
        out[i] = view.getFloat64(start + 8 * i, true);
        break;
      case 'F32':
        out[i] = view.getFloat32(start + 4 * i, true);
        break;
      case 'F16':
        out[i] = halfToFloat(view.getUint16(start + 2 * i, true));
        break;
      default: {
        // BF16 is the top half of a float32.
        const scratch = new DataView(new ArrayBuffer(4));
        scratch.setUint32(0, view.getUint16(start + 2 * i, true) << 16, true);
        out[i] = scratch.getFloat32(0, true);
      }
    }
  }
  return out;
}

/** Marks the files Unroll writes in `__metadata__`, so a later save may replace them and nothing else. */
const WRITER = { key: 'writer', value: 'unroll' } as const;

/** True when `bytes` are a safetensors file whose header says Unroll wrote it. */
export function writtenByUnroll(bytes: Uint8Array): boolean {
  if (bytes.length < HEADER_START) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  if (view.getUint32(4, true) !== 0 || HEADER_START + length > bytes.length) return false;
  try {
    const header = JSON.parse(textDecoder('utf-8', true).decode(bytes.subarray(HEADER_START, HEADER_START + length)));
    return header?.__metadata__?.[WRITER.key] === WRITER.value;
  } catch {
    return false;
  }
}

export interface EncodedWeights {
  bytes: Uint8Array;
  dtype: 'F32' | 'F64';
  /** Why F64 was needed: the first value F32 cannot hold, e.g. "fc.weight[3] = 4.1e+39". */
  widenedFor?: string;
}

/**
 * Weights as safetensors without losing any: F32 (what PyTorch models use) when every value stays finite in it,
 * else F64. A value that is not finite at all is refused, naming the tensor and index (never a file of Infinity).
 */
export function encodeWeights(params: Map<string, Tensor>, file: string): EncodedWeights {
  let widenedFor: string | undefined;
  for (const [name, t] of params) {
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i];
      if (!Number.isFinite(v)) fail(file, START, `weights not saved: ${name}[${i}] is ${v}`, 'the training diverged; lower the learning rate or clip the gradient');
      if (widenedFor === undefined && !Number.isFinite(Math.fround(v))) widenedFor = `${name}[${i}] = ${v.toPrecision(3)}`;
    }
  }
  const dtype = widenedFor === undefined ? 'F32' : 'F64';
  return { bytes: writeSafetensors(params, dtype), dtype, ...(widenedFor ? { widenedFor } : {}) };
}

/**
 * Tensors in map order, each at an offset that is a multiple of its item size; the header is padded with
 * spaces so the data starts on an 8-byte boundary (as the reference writer does).
 */
export function writeSafetensors(params: Map<string, Tensor>, dtype: 'F32' | 'F64'): Uint8Array {
  const item = ITEM_BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', [WRITER.key]: WRITER.value } };
  let offset = 0;
  for (const [name, t] of params) {
    const size = t.data.length * item;
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = encodeUtf8(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const spaces = new Uint8Array(padded).fill(0x20);
    spaces.set(json);
    json = spaces;
  }
  const out = new Uint8Array(HEADER_START + json.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  out.set(json, HEADER_START);
  let at = HEADER_START + json.length;
  for (const t of params.values()) {
    for (const v of t.data) {
      if (dtype === 'F64') view.setFloat64(at, v, true);
      else view.setFloat32(at, v, true);
      at += item;
    }
  }
  return out;
}
