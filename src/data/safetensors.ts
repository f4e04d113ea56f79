// safetensors: an 8-byte little-endian header length, a JSON header { name: { dtype, shape, data_offsets } },
// then the raw little-endian tensor bytes. Names and layouts are PyTorch's state_dict (README, "Files it reads").
import type { Tensor } from '../protocol/result';
import { fail, multiIndex, positionInBytes, quote, START, type Position } from './errors';
import { MAX_JSON_DEPTH, outlineJson, refuseDeepJson } from './jsonTree';
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

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  start: number;
  end: number;
  /** Where the tensor's name is in the header, for its problems (found only for the one reported). */
  at: () => Position;
}

/**
 * As strict as the reference implementation (the Rust safetensors crate): the header is one JSON object of
 * distinct names; the tensors' data_offsets, in order of offset, tile the data bytes with no gap or overlap and
 * cover all of them; each holds exactly shape × item size bytes; __metadata__ maps strings to strings. Values must
 * be finite: a NaN weight would otherwise surface later as a gradient problem.
 */
export function readSafetensors(bytes: Uint8Array, file: string): Map<string, Tensor> {
  const hint = 'write it with safetensors (e.g. safetensors.torch.save_file(model.state_dict(), path))';
  if (bytes.length < HEADER_START) fail(file, START, `too short for a safetensors file (${bytes.length} bytes)`, hint);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES || HEADER_START + low > bytes.length) {
    fail(
      file,
      START,
      `the header length in the first 8 bytes (${high * 2 ** 32 + low}) does not fit a ${bytes.length}-byte file`,
      hint,
    );
  }
  const dataStart = HEADER_START + low;
  let text = '';
  try {
    text = textDecoder('utf-8', true).decode(bytes.subarray(HEADER_START, dataStart));
  } catch {
    fail(file, positionInBytes(bytes, HEADER_START), 'the safetensors header is not valid UTF-8', hint);
  }
  // Problems point at bytes of the file; the header's character offsets are converted only for the one reported.
  const at = (charOffset: number) =>
    positionInBytes(bytes, HEADER_START + encodeUtf8(text.slice(0, charOffset)).length);
  if (!text.startsWith('{')) fail(file, at(0), 'the safetensors header does not start with "{"', hint);
  const outline = outlineJson(text);
  refuseDeepJson(outline, file, at);
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(text) as Record<string, unknown>;
  } catch {
    fail(file, at(0), 'the safetensors header is not valid JSON', hint);
  }
  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const { name, offset } of outline.keys) {
    const where = at.bind(undefined, offset);
    // JSON.parse keeps the last of two equal names silently; the reference refuses the file.
    if (seen.has(name)) fail(file, where(), `tensor ${quote(name)} appears twice in the header`, hint);
    seen.add(name);
    if (name === '__metadata__') checkMetadata(header[name], file, where);
    else entries.push(readEntry(name, header[name], file, where, bytes.length - dataStart, hint));
  }
  checkTiling(entries, bytes.length - dataStart, file, () => at(0));
  const tensors = new Map<string, Tensor>();
  for (const e of entries)
    tensors.set(e.name, { shape: e.shape, data: decodeValues(view, dataStart + e.start, e, file) });
  return tensors;
}

function checkMetadata(metadata: unknown, file: string, where: () => Position): void {
  // null reads as "no metadata", as in the reference.
  const isStringMap =
    metadata === null ||
    (typeof metadata === 'object' &&
      !Array.isArray(metadata) &&
      Object.values(metadata).every((v) => typeof v === 'string'));
  if (!isStringMap)
    fail(
      file,
      where(),
      '__metadata__ must map names to strings',
      'the reference safetensors library refuses any other value; store numbers as strings',
    );
}

function readEntry(
  name: string,
  entry: unknown,
  file: string,
  where: () => Position,
  dataBytes: number,
  hint: string,
): Entry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    fail(file, where(), `tensor ${quote(name)}: its header entry is not an object`, hint);
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in ITEM_BYTES)) {
    fail(
      file,
      where(),
      `tensor ${quote(name)} has dtype ${typeof dtype === 'string' ? quote(dtype) : String(JSON.stringify(dtype)).slice(0, 80)}; Unroll reads F32, F64, F16 and BF16`,
      'save floating-point weights (model.float() or model.double())',
    );
  }
  if (!isShape(shape) || shape.length > MAX_JSON_DEPTH)
    fail(file, where(), `tensor ${quote(name)}: shape must be a list of non-negative integers`, hint);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !isShape(offsets) ||
    offsets[0] > offsets[1] ||
    offsets[1] > dataBytes
  ) {
    fail(
      file,
      where(),
      `tensor ${quote(name)}: data_offsets ${String(JSON.stringify(offsets)).slice(0, 80)} fall outside the ${dataBytes} data bytes`,
      'the file may be truncated; save it again',
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const needed = count * ITEM_BYTES[dtype];
  if (offsets[1] - offsets[0] !== needed) {
    fail(
      file,
      where(),
      `tensor ${quote(name)}: shape [${shape.join(', ')}] of ${dtype} needs ${needed} bytes, data_offsets give ${offsets[1] - offsets[0]}`,
      hint,
    );
  }
  return { name, dtype, shape: [...shape], start: offsets[0], end: offsets[1], at: where };
}

/** In order of offset, each tensor starts where the previous one ends, and the last ends with the file. */
function checkTiling(entries: Entry[], dataBytes: number, file: string, headerAt: () => Position): void {
  const byOffset = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of byOffset) {
    if (e.start < covered) {
      fail(
        file,
        e.at(),
        `tensor ${quote(e.name)}: data_offsets [${e.start}, ${e.end}] overlap those of ${quote(previous!.name)} [${previous!.start}, ${previous!.end}]`,
        'each byte of the data belongs to one tensor; save the file again',
      );
    }
    if (e.start > covered) {
      fail(
        file,
        e.at(),
        `tensor ${quote(e.name)}: data_offsets start at ${e.start}, but ${previous ? `${quote(previous.name)} ends at ${covered}` : 'the data starts at 0'}: ${e.start - covered} bytes belong to no tensor`,
        'the reference library refuses gaps between tensors; save the file again',
      );
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataBytes) {
    fail(
      file,
      (previous?.at ?? headerAt)(),
      `the tensors cover ${covered} of the ${dataBytes} data bytes; the rest belong to no tensor`,
      'the reference library refuses trailing bytes; save the file again',
    );
  }
}

function decodeValues(view: DataView, start: number, entry: Entry, file: string): Float64Array {
  const count = (entry.end - entry.start) / ITEM_BYTES[entry.dtype];
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    switch (entry.dtype) {
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
    if (!Number.isFinite(out[i])) {
      fail(
        file,
        entry.at(),
        `tensor ${quote(entry.name)}: element ${i} (index [${multiIndex(i, entry.shape).join(', ')}]) is ${out[i]}`,
        'NaN and Infinity weights cannot be analyzed; save weights from a run that did not diverge',
      );
    }
  }
  return out;
}

/** Marks the files Unroll writes in `__metadata__`, so a later save may replace them and nothing else. */
const WRITER = { key: 'writer', value: 'unroll' } as const;

/** True when `bytes` are a safetensors file whose header says Unroll wrote it. */
export function writtenByUnroll(bytes: Uint8Array): boolean {
  return safetensorsMetadata(bytes)?.[WRITER.key] === WRITER.value;
}

/** The `__metadata__` of a safetensors file (string values only), or undefined when there is none or it is not one. */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> | undefined {
  if (bytes.length < HEADER_START) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  if (view.getUint32(4, true) !== 0 || HEADER_START + length > bytes.length) return undefined;
  try {
    const metadata = JSON.parse(
      textDecoder('utf-8', true).decode(bytes.subarray(HEADER_START, HEADER_START + length)),
    )?.__metadata__;
    if (!metadata || typeof metadata !== 'object') return undefined;
    return Object.fromEntries(
      Object.entries(metadata as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
  } catch {
    return undefined;
  }
}

/** What Unroll records about a training run in the weights it saves (`__metadata__`, strings as the format requires). */
export interface TrainedRecord {
  /** Epochs trained in all, counting those recorded in the weights the run started from. */
  epochs: number;
  trainLoss?: number;
  heldOutLoss?: number;
  baseline?: number;
  baselineWhat?: string;
  unit?: string;
}

const RECORD_KEYS = {
  epochs: 'unroll.epochs',
  trainLoss: 'unroll.train_loss',
  heldOutLoss: 'unroll.held_out_loss',
  baseline: 'unroll.baseline_loss',
  baselineWhat: 'unroll.baseline',
  unit: 'unroll.loss_unit',
} as const;

function recordToMetadata(r: TrainedRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(RECORD_KEYS)) {
    const v = r[field as keyof TrainedRecord];
    if (v !== undefined && v !== null) out[key] = String(v);
  }
  return out;
}

/** The training record of a file Unroll wrote, when it has one. */
export function trainedRecordOf(metadata: Record<string, string> | undefined): TrainedRecord | undefined {
  const epochs = Number(metadata?.[RECORD_KEYS.epochs]);
  if (!metadata || !Number.isInteger(epochs) || epochs < 0) return undefined;
  const number = (key: string) =>
    metadata[key] !== undefined && Number.isFinite(Number(metadata[key])) ? Number(metadata[key]) : undefined;
  return defined({
    epochs,
    trainLoss: number(RECORD_KEYS.trainLoss),
    heldOutLoss: number(RECORD_KEYS.heldOutLoss),
    baseline: number(RECORD_KEYS.baseline),
    baselineWhat: metadata[RECORD_KEYS.baselineWhat],
    unit: metadata[RECORD_KEYS.unit],
  });
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
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
export function encodeWeights(params: Map<string, Tensor>, file: string, record?: TrainedRecord): EncodedWeights {
  let widenedFor: string | undefined;
  for (const [name, t] of params) {
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i];
      if (!Number.isFinite(v))
        fail(
          file,
          START,
          `weights not saved: ${name}[${i}] is ${v}`,
          'the training diverged; lower the learning rate or clip the gradient',
        );
      if (widenedFor === undefined && !Number.isFinite(Math.fround(v)))
        widenedFor = `${name}[${i}] = ${v.toPrecision(3)}`;
    }
  }
  const dtype = widenedFor === undefined ? 'F32' : 'F64';
  return {
    bytes: writeSafetensors(params, dtype, record && recordToMetadata(record)),
    dtype,
    ...(widenedFor ? { widenedFor } : {}),
  };
}

/**
 * Tensors in map order, each at an offset that is a multiple of its item size; the header is padded with
 * spaces so the data starts on an 8-byte boundary (as the reference writer does).
 */
export function writeSafetensors(
  params: Map<string, Tensor>,
  dtype: 'F32' | 'F64',
  metadata: Record<string, string> = {},
): Uint8Array {
  const item = ITEM_BYTES[dtype];
  const header: Record<string, unknown> = { __metadata__: { ...metadata, format: 'pt', [WRITER.key]: WRITER.value } };
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
