// NumPy .npy: magic "\x93NUMPY", version, header length, a Python dict literal
// {'descr': '<f8', 'fortran_order': False, 'shape': (T, D)}, then the raw array in C order.
import { fail, multiIndex, positionInBytes, START } from './errors';
import { textDecoder } from './textCodec';

export interface NpyArray {
  shape: number[];
  data: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

const DTYPE_NAMES: Record<string, string> = {
  b1: 'bool',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  f2: 'float16',
  f16: 'float128',
  c8: 'complex64',
  c16: 'complex128',
  O: 'object',
  U: 'unicode',
  S: 'bytes',
  M8: 'datetime64',
  m8: 'timedelta64',
};

export function readNpy(bytes: Uint8Array, file: string): NpyArray {
  const saveHint = 'save it with numpy.save(path, array.astype(numpy.float64))';
  if (!MAGIC.every((b, i) => bytes[i] === b))
    fail(file, START, 'not a NumPy .npy file (it does not start with \\x93NUMPY)', saveHint);
  if (bytes.length < 10)
    fail(file, START, `the .npy file is truncated (${bytes.length} bytes, the header alone needs 10)`, saveHint);
  const major = bytes[6];
  if (major < 1 || major > 3)
    fail(
      file,
      positionInBytes(bytes, 6),
      `unknown .npy format version ${major}.${bytes[7]}`,
      'Unroll reads versions 1, 2 and 3',
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes)
    fail(file, positionInBytes(bytes, bytes.length), 'the .npy file is truncated inside its header', saveHint);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length)
    fail(
      file,
      positionInBytes(bytes, bytes.length),
      `the .npy file is truncated: its header says ${headerLength} bytes, the file ends before`,
      saveHint,
    );
  let header: string;
  try {
    header = textDecoder(major === 3 ? 'utf-8' : 'latin1', true).decode(bytes.subarray(headerStart, dataStart));
  } catch {
    return fail(file, positionInBytes(bytes, headerStart), 'the .npy header is not valid text', saveHint);
  }
  const at = (pattern: RegExp) => {
    const index = header.search(pattern);
    return positionInBytes(bytes, headerStart + Math.max(index, 0));
  };

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(
      file,
      positionInBytes(bytes, headerStart),
      "the .npy header lacks 'descr', 'fortran_order' or 'shape'",
      saveHint,
    );
  }
  const dtype = /^([<>=|]?)(f4|f8)$/.exec(descr);
  if (!dtype || dtype[1] === '|') {
    const code = descr.replace(/^[<>=|]/, '');
    const name = DTYPE_NAMES[code] ?? DTYPE_NAMES[code.replace(/\d+$/, '')] ?? descr;
    fail(
      file,
      at(/['"]descr['"]/),
      `dtype '${descr}' (${name}) is not supported; Unroll reads float32 and float64`,
      'convert first: numpy.save(path, array.astype(numpy.float64))',
    );
  }
  if (fortran === 'True') {
    fail(
      file,
      at(/['"]fortran_order['"]/),
      'the array is stored in Fortran (column-major) order; Unroll reads C order',
      'save a C-ordered copy: numpy.save(path, numpy.ascontiguousarray(array))',
    );
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!dims.every((d) => /^\d+L?$/.test(d)))
    fail(file, at(/['"]shape['"]/), `shape (${shapeText}) is not a tuple of integers`, saveHint);
  const shape = dims.map((d) => parseInt(d, 10));
  if (shape.length < 1 || shape.length > 3) {
    fail(
      file,
      at(/['"]shape['"]/),
      `shape (${shapeText}) has ${shape.length} dimensions; Unroll reads [T], [T, D] or [N, T, D]`,
      'reshape the array: one sequence is [T, D], several are [N, T, D]',
    );
  }
  const itemBytes = dtype[2] === 'f4' ? 4 : 8;
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * itemBytes;
  const found = bytes.length - dataStart;
  if (found < expected) {
    fail(
      file,
      positionInBytes(bytes, bytes.length),
      `the .npy file is truncated: shape (${shape.join(', ')}) needs ${expected} data bytes, the file has ${found}`,
      'the file was probably cut off while copying; save it again',
    );
  }
  if (found > expected) {
    fail(
      file,
      positionInBytes(bytes, dataStart + expected),
      `${found - expected} unexpected bytes after the array data`,
      'the file may hold several arrays (np.savez?); save one array with numpy.save',
    );
  }
  const littleEndian = dtype[1] !== '>';
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const offset = dataStart + itemBytes * i;
    data[i] = itemBytes === 4 ? view.getFloat32(offset, littleEndian) : view.getFloat64(offset, littleEndian);
    if (!Number.isFinite(data[i])) {
      fail(
        file,
        positionInBytes(bytes, offset),
        `element [${multiIndex(i, shape).join(', ')}] is ${data[i]}`,
        'NaN and Infinity cannot be analyzed; fill or drop them (numpy.nan_to_num)',
      );
    }
  }
  return { shape, data };
}
