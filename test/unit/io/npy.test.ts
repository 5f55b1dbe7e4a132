// .npy reading/writing against hand-built byte fixtures (numpy itself may not be installed), plus atomic writes.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CellforgeError } from '../../../ir/errors.js';
import { writeFileAtomic } from '../../../runtime/io/atomic.js';
import { encodeNpy, parseNpy, readNpy, writeNpy, type NpyArray } from '../../../runtime/io/npy.js';
import { errorOf } from '../../helpers/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A .npy file from its parts; the header text is used verbatim so tests control every byte of it. */
function npyFile(header: string, data: ArrayLike<number> = [], major = 1): Uint8Array {
  const h = enc(header);
  const pre = major === 1 ? 10 : 12;
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, ...enc('NUMPY'), major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('npy round trips', () => {
  const shapes = [[], [5], [2, 3, 4]];
  const make = (dtype: NpyArray['dtype'], n: number): NpyArray['data'] => {
    const values = Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (i * 7 + 3));
    if (dtype === 'float32') return Float32Array.from(values, (v) => v / 8);
    if (dtype === 'float64') return Float64Array.from(values, (v) => v / 3);
    if (dtype === 'int32') return Int32Array.from(values, (v) => v * 1_000_000);
    return BigInt64Array.from(values, (v) => BigInt(v) * 2n ** 50n);
  };
  for (const dtype of ['float32', 'float64', 'int32', 'int64'] as const) {
    for (const shape of shapes) {
      it(`${dtype} ${JSON.stringify(shape)}`, () => {
        const arr: NpyArray = { dtype, shape, data: make(dtype, shape.reduce((a, b) => a * b, 1)) };
        const bytes = encodeNpy(arr);
        const headerLen = new DataView(bytes.buffer).getUint16(8, true);
        expect(bytes[6]).toBe(1);
        expect((10 + headerLen) % 64).toBe(0);
        expect(bytes[10 + headerLen - 1]).toBe(0x0a);
        expect(parseNpy(bytes, 'x.npy')).toEqual(arr);
      });
    }
  }

  it('keeps NaN, infinities and -0 bit for bit', () => {
    const data = new Float32Array([NaN, Infinity, -Infinity, -0]);
    const back = parseNpy(encodeNpy({ dtype: 'float32', shape: [4], data }), 'x.npy');
    expect(bytesOf(back.data)).toEqual(bytesOf(data));
  });

  it('handles an empty array', () => {
    const arr: NpyArray = { dtype: 'float64', shape: [2, 0], data: new Float64Array(0) };
    expect(parseNpy(encodeNpy(arr), 'x.npy')).toEqual(arr);
  });

  it('encodes a view into a larger buffer by its own bytes only', () => {
    const data = new Int32Array([9, 1, 2, 3, 9]).subarray(1, 4);
    expect(parseNpy(encodeNpy({ dtype: 'int32', shape: [3], data }), 'x.npy').data).toEqual(Int32Array.of(1, 2, 3));
  });
});

describe('npy fixtures', () => {
  it('writes exactly what np.save writes for np.arange(6, dtype=np.float32).reshape(2, 3)', () => {
    // 10-byte preamble + 59-character dict + padding + '\n' reaches 128, the first multiple of 64 that fits.
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const header = dict + ' '.repeat(128 - 10 - dict.length - 1) + '\n';
    // float32 0..5, little-endian.
    const data = [
      [0x00, 0x00, 0x00, 0x00],
      [0x00, 0x00, 0x80, 0x3f],
      [0x00, 0x00, 0x00, 0x40],
      [0x00, 0x00, 0x40, 0x40],
      [0x00, 0x00, 0x80, 0x40],
      [0x00, 0x00, 0xa0, 0x40],
    ].flat();
    const expected = npyFile(header, data);
    expect(expected.length).toBe(128 + 24);
    const arr: NpyArray = { dtype: 'float32', shape: [2, 3], data: Float32Array.of(0, 1, 2, 3, 4, 5) };
    expect(encodeNpy(arr)).toEqual(expected);
    expect(parseNpy(expected, 'x.npy')).toEqual(arr);
  });

  it('reads a version 2.0 file with an unpadded float64 header (unaligned data)', () => {
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n";
    const bytes = npyFile(header, bytesOf(Float64Array.of(1.5, -2, 1e300)), 2);
    expect((bytes.length - 24) % 8).not.toBe(0);
    expect(parseNpy(bytes, 'x.npy')).toEqual({ dtype: 'float64', shape: [3], data: Float64Array.of(1.5, -2, 1e300) });
  });

  it('reads a version 3.0 (UTF-8 header) file', () => {
    const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n";
    const bytes = npyFile(header, bytesOf(BigInt64Array.of(-1n, 2n ** 62n)), 3);
    expect(parseNpy(bytes, 'x.npy').data).toEqual(BigInt64Array.of(-1n, 2n ** 62n));
  });

  it('accepts other key orders, double quotes, no trailing comma, scalars and native byte order', () => {
    const i4 = bytesOf(Int32Array.of(7));
    const variants = [
      "{'shape': (), 'fortran_order': False, 'descr': '<i4'}",
      '{"descr": "|i4", "fortran_order": False, "shape": ()}   \n',
      "{'descr': '=i4', 'fortran_order': False, 'shape': (1,), }",
      "{'descr': 'i4', 'fortran_order': False, 'shape': (1L,)}",
    ];
    for (const header of variants) expect(parseNpy(npyFile(header, i4), 'x.npy').data).toEqual(Int32Array.of(7));
    expect(parseNpy(npyFile(variants[0]!, i4), 'x.npy').shape).toEqual([]);
  });

  it('reads from a Uint8Array at an odd offset into its buffer', () => {
    const file = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", bytesOf(Float32Array.of(1, 2)));
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3);
    expect(parseNpy(big.subarray(3), 'x.npy').data).toEqual(Float32Array.of(1, 2));
  });
});

describe('npy bad inputs', () => {
  const f4 = (shape: string, extra = '') => `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, ${extra}}`;
  const short = npyFile('{}').subarray(0, 8);
  const headerCut = npyFile(f4('(3,)')).subarray(0, 30);
  const cases: [string, Uint8Array, string][] = [
    ['empty file', new Uint8Array(0), 'not a .npy file (bad magic)'],
    ['bad magic', enc("NUMPY\x01\x00{'descr': '<f4'}"), 'not a .npy file (bad magic)'],
    ['truncated preamble', short, 'truncated header (file is only 8 bytes)'],
    [
      'truncated header',
      headerCut,
      'truncated header: header says it is 57 bytes, file has 20 bytes after the preamble',
    ],
    [
      'truncated data',
      npyFile(f4('(24,)'), new Uint8Array(40)),
      'truncated: header says 24 values of float32 (96 bytes), file has 40 bytes of data',
    ],
    [
      'oversized data',
      npyFile(f4('(2, 3)'), new Uint8Array(28)),
      'too much data: header says 6 values of float32 (24 bytes), file has 28 bytes of data',
    ],
    ['version 4.0', npyFile('{}', [], 4), 'unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)'],
    [
      'big-endian',
      npyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]),
      "big-endian dtype '>f4' is not supported; save with arr.astype('<f4')",
    ],
    [
      'fortran order',
      npyFile("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)),
      'Fortran-order arrays are not supported; save with np.ascontiguousarray',
    ],
    [
      'complex dtype',
      npyFile("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8)),
      "unsupported dtype '<c8' (expected float32, float64, int32 or int64)",
    ],
    [
      'bool dtype',
      npyFile("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(1)),
      "unsupported dtype '|b1' (expected float32, float64, int32 or int64)",
    ],
    [
      'structured dtype',
      npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
      'unsupported dtype: structured arrays are not supported (expected float32, float64, int32 or int64)',
    ],
    ['missing shape', npyFile("{'descr': '<f4', 'fortran_order': False}"), "bad header: missing 'shape'"],
    ['negative dimension', npyFile(f4('(-1,)')), "bad header: 'shape' must be a tuple of non-negative integers"],
    ['not a tuple shape', npyFile(f4('(3)')), "bad header: 'shape' must be a tuple of non-negative integers"],
    [
      'missing comma',
      npyFile("{'descr': '<f4' 'fortran_order': False}"),
      'bad header: unexpected "\'" at character 17, expected ","',
    ],
    ['cut-off dict', npyFile("{'descr': '<f4', "), 'bad header: ends early, expected a value'],
    ['not a dict', npyFile('[1, 2]'), 'bad header: expected a Python dict'],
  ];
  for (const [name, bytes, message] of cases) {
    it(name, () => expect(errorOf(() => parseNpy(bytes, 'x.npy'))).toBe(`x.npy: ${message}`));
  }
});

describe('npy files and atomic writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-npy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes and reads back, overwriting, leaving no temp files', () => {
    const path = join(dir, 'a.npy');
    writeFileSync(path, 'old contents');
    const arr: NpyArray = { dtype: 'int32', shape: [2, 2], data: Int32Array.of(1, 2, 3, 4) };
    writeNpy(path, arr);
    expect(readNpy(path)).toEqual(arr);
    expect(readdirSync(dir)).toEqual(['a.npy']);
  });

  it('reports a missing file', () => {
    const path = join(dir, 'x.npy');
    expect(errorOf(() => readNpy(path))).toBe(`${path}: no such file`);
  });

  it('reports a missing directory on write and leaves nothing behind', () => {
    const path = join(dir, 'nope', 'x.npy');
    expect(errorOf(() => writeFileAtomic(path, 'hi'))).toBe(`${path}: cannot write: directory does not exist`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cleans up the temp file when the rename fails', () => {
    // Renaming a file over a non-empty directory fails only after the temp file was written and synced.
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'f'), 'x');
    expect(() => writeFileAtomic(sub, 'data')).toThrow(CellforgeError);
    expect(readdirSync(dir)).toEqual(['sub']);
    expect(readFileSync(join(sub, 'f'), 'utf8')).toBe('x');
  });

  it('writes strings as UTF-8', () => {
    const path = join(dir, 's.txt');
    writeFileAtomic(path, 'héllo');
    expect(readFileSync(path, 'utf8')).toBe('héllo');
  });
});
