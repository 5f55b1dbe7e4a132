// The NumPy .npy format (versions 1.0-3.0, little-endian float32/float64/int32/int64, C order): bytes to arrays and
// back. No file access (npy.ts reads and writes files), so a page can use it too.
import { fileError, invariant } from '../../ir/errors.js';

export type Dtype = 'float32' | 'float64' | 'int32' | 'int64';
export type TypedData = Float32Array | Float64Array | Int32Array | BigInt64Array;

export interface NpyArray {
  dtype: Dtype;
  shape: number[];
  data: TypedData;
}

const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array } as const;
const CODES: Record<string, Dtype> = { f4: 'float32', f8: 'float64', i4: 'int32', i8: 'int64' };

// Data is reinterpreted in place from file bytes, which are little-endian; a big-endian host would need swapping.
invariant(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'array files need a little-endian host');

export function itemSize(dtype: Dtype): number {
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** Number of values in an array of this shape; `[]` is a scalar, one value. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A fresh typed array holding a copy of `bytes`; copying also fixes alignment, which file offsets don't promise. */
export function typedFromBytes(dtype: Dtype, bytes: Uint8Array): TypedData {
  // Not bytes.slice(): on a Node Buffer that is a view into a shared pool, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new CTORS[dtype](copy.buffer, 0, copy.byteLength / itemSize(dtype));
}

/** The raw bytes of `arr.data` (a view, no copy), after checking that data, dtype and shape agree. */
export function arrayBytes(arr: NpyArray, what: string): Uint8Array {
  invariant(arr.data instanceof CTORS[arr.dtype], `${what}: data is not a ${arr.dtype} typed array`);
  invariant(
    arr.shape.every((d) => Number.isSafeInteger(d) && d >= 0),
    `${what}: bad shape [${arr.shape.join(', ')}]`,
  );
  invariant(
    arr.data.length === elementCount(arr.shape),
    `${what}: shape [${arr.shape.join(', ')}] needs ${elementCount(arr.shape)} values, data has ${arr.data.length}`,
  );
  return new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Decodes a whole .npy file; `path` only names the file in error messages. */
export function parseNpy(bytes: Uint8Array, path: string): NpyArray {
  const fail = (message: string) => fileError(path, message);
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('not a .npy file (bad magic)');
  if (bytes.length < 10) throw fail(`truncated header (file is only ${bytes.length} bytes)`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (minor !== 0 || major < 1 || major > 3) {
    throw fail(`unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  }
  // Version 1.0 has a 2-byte header length; 2.0 widened it to 4 bytes; 3.0 only changed the header to UTF-8.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const preamble = major === 1 ? 10 : 12;
  if (bytes.length < preamble) throw fail(`truncated header (file is only ${bytes.length} bytes)`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (preamble + headerLen > bytes.length) {
    const left = bytes.length - preamble;
    throw fail(`truncated header: header says it is ${headerLen} bytes, file has ${left} bytes after the preamble`);
  }
  const headerBytes = bytes.subarray(preamble, preamble + headerLen);
  const header = Buffer.from(headerBytes).toString(major === 3 ? 'utf8' : 'latin1');
  const { dtype, shape } = readHeader(header, fail);

  const count = elementCount(shape);
  const expected = count * itemSize(dtype);
  const data = bytes.subarray(preamble + headerLen);
  if (data.length !== expected) {
    const what = data.length < expected ? 'truncated' : 'too much data';
    throw fail(
      `${what}: header says ${count} values of ${dtype} (${expected} bytes), file has ${data.length} bytes of data`,
    );
  }
  return { dtype, shape, data: typedFromBytes(dtype, data) };
}

/** Checks the header dict and picks out what we need; everything numpy could write but we can't read is refused. */
function readHeader(header: string, fail: (m: string) => Error): { dtype: Dtype; shape: number[] } {
  let dict: PyValue;
  try {
    dict = parsePyLiteral(header);
  } catch (err) {
    throw fail(`bad header: ${(err as Error).message}`);
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw fail('bad header: expected a Python dict');
  }
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!(key in dict)) throw fail(`bad header: missing '${key}'`);
  }
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string') {
    throw fail('unsupported dtype: structured arrays are not supported (expected float32, float64, int32 or int64)');
  }
  const m = /^([<>|=]?)([a-zA-Z]\d*)$/.exec(descr);
  const dtype = m ? CODES[m[2]!] : undefined;
  if (!m || !dtype) throw fail(`unsupported dtype '${descr}' (expected float32, float64, int32 or int64)`);
  // '=' and '|' mean native order, which is little-endian on every host we run on (checked above).
  if (m[1] === '>') throw fail(`big-endian dtype '${descr}' is not supported; save with arr.astype('<${m[2]}')`);
  if (typeof fortran !== 'boolean') throw fail("bad header: 'fortran_order' must be True or False");
  if (fortran) throw fail('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw fail("bad header: 'shape' must be a tuple of non-negative integers");
  }
  return { dtype, shape: shape as number[] };
}

/** Encodes like `np.save` does, byte for byte: version 1.0 (2.0 only for huge headers), data 64-byte aligned. */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const data = arrayBytes(arr, 'encodeNpy');
  const descr = `<${Object.keys(CODES).find((k) => CODES[k] === arr.dtype)}`;
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // numpy >= 1.24 leaves room for the first dimension to grow to 21 digits, so appending rewrites the header in place.
  if (arr.shape.length > 0) header += ' '.repeat(21 - String(arr.shape[0]).length);
  const major = header.length + 11 > 0xffff ? 2 : 1;
  const preamble = major === 1 ? 10 : 12;
  // numpy's rule: always at least one space of padding, so an already aligned header gets a full 64 more.
  const pad = 64 - ((preamble + header.length + 1) % 64);
  header += ' '.repeat(pad) + '\n';

  const out = new Uint8Array(preamble + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[preamble + i] = header.charCodeAt(i);
  out.set(data, preamble + header.length);
  return out;
}

type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/**
 * Parses the Python literal subset numpy writes in headers (dicts, tuples, lists, strings, ints, True, False,
 * None). numpy itself reads the header with ast.literal_eval; a regex over it would accept too much.
 */
function parsePyLiteral(text: string): PyValue {
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const error = (what: string) =>
    new Error(
      pos < text.length
        ? `unexpected ${JSON.stringify(text[pos])} at character ${pos + 1}, expected ${what}`
        : `ends early, expected ${what}`,
    );
  const expect = (ch: string) => {
    skip();
    if (text[pos] !== ch) throw error(JSON.stringify(ch));
    pos++;
  };
  // Items separated by commas, with the trailing comma Python allows; returns how many.
  const sequence = (close: string, item: () => void): number => {
    let n = 0;
    for (;;) {
      skip();
      if (text[pos] === close) break;
      if (n > 0) {
        expect(',');
        skip();
        if (text[pos] === close) break;
      }
      item();
      n++;
    }
    pos++;
    return n;
  };
  const value = (): PyValue => {
    skip();
    const ch = text[pos];
    if (ch === "'" || ch === '"') {
      let s = '';
      for (pos++; text[pos] !== ch; pos++) {
        if (pos >= text.length) throw error(`closing ${ch}`);
        if (text[pos] === '\\') pos++;
        s += text[pos] ?? '';
      }
      pos++;
      return s;
    }
    if (ch === '{') {
      pos++;
      const dict: { [key: string]: PyValue } = Object.create(null);
      sequence('}', () => {
        const key = value();
        if (typeof key !== 'string') throw new Error('dict keys must be strings');
        expect(':');
        dict[key] = value();
      });
      return dict;
    }
    if (ch === '(' || ch === '[') {
      pos++;
      const items: PyValue[] = [];
      const n = sequence(ch === '(' ? ')' : ']', () => void items.push(value()));
      // `(5)` is just 5 in Python; only `(5,)` is a one-element tuple.
      if (ch === '(' && n === 1 && !/,\s*\)$/.test(text.slice(0, pos))) return items[0]!;
      return items;
    }
    const word = /^(-?\d+)L?|^True|^False|^None/.exec(text.slice(pos));
    if (!word) throw error('a value');
    pos += word[0].length;
    if (word[1] !== undefined) return Number(word[1]);
    return word[0] === 'True' ? true : word[0] === 'False' ? false : null;
  };
  const result = value();
  skip();
  if (pos < text.length) throw error('the end of the header');
  return result;
}
