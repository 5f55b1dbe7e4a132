// .safetensors reading/writing against hand-built byte fixtures and a table of malformed files.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NpyArray } from '../../../runtime/io/npy.js';
import {
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
} from '../../../runtime/io/safetensors.js';
import { errorOf } from '../../helpers/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A .safetensors file from a verbatim header and data section. */
function stFile(header: string, data: ArrayLike<number> = [], headerLen?: number): Uint8Array {
  const h = enc(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const sample: Record<string, NpyArray> = {
  'w.f32': { dtype: 'float32', shape: [2, 3], data: Float32Array.of(0.5, -1, 2, 3, 4, 1e-8) },
  'b.f64': { dtype: 'float64', shape: [3], data: Float64Array.of(Math.PI, -0, 1e300) },
  'n.i32': { dtype: 'int32', shape: [], data: Int32Array.of(-7) },
  'k.i64': { dtype: 'int64', shape: [1, 2, 1], data: BigInt64Array.of(2n ** 62n, -3n) },
};

describe('safetensors round trips', () => {
  it('keeps every dtype, shape and the metadata', () => {
    const bytes = encodeSafetensors(sample, { format: 'pt', note: 'héllo' });
    const { tensors, metadata } = parseSafetensors(bytes, 'w.safetensors');
    expect(Object.fromEntries(tensors)).toEqual(sample);
    expect(metadata).toEqual({ format: 'pt', note: 'héllo' });
  });

  it('writes tensors sorted by name with a space-padded header, whatever the input order', () => {
    const reversed = new Map(Object.entries(sample).reverse());
    const bytes = encodeSafetensors(reversed);
    expect(encodeSafetensors(sample)).toEqual(bytes);
    const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(len % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + len));
    expect(Object.keys(JSON.parse(header))).toEqual(['b.f64', 'k.i64', 'n.i32', 'w.f32']);
    expect(header.trimEnd()).toBe(JSON.stringify(JSON.parse(header)));
    expect([...parseSafetensors(bytes, 'x').tensors.keys()]).toEqual(['b.f64', 'k.i64', 'n.i32', 'w.f32']);
  });

  it('encodes an empty file and one with an empty tensor', () => {
    expect(parseSafetensors(encodeSafetensors({}), 'x').tensors.size).toBe(0);
    const empty: NpyArray = { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) };
    expect(parseSafetensors(encodeSafetensors({ e: empty }), 'x').tensors.get('e')).toEqual(empty);
  });
});

describe('safetensors fixtures', () => {
  it('reads a hand-built file with unaligned data, header order and metadata', () => {
    const header =
      '{"b":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},' +
      '"a":{"dtype":"F32","shape":[],"data_offsets":[16,20]},"__metadata__":{"format":"pt"}}';
    const data = new Uint8Array(20);
    data.set(bytesOf(BigInt64Array.of(5n, -6n)), 0);
    data.set(bytesOf(Float32Array.of(0.25)), 16);
    const { tensors, metadata } = parseSafetensors(stFile(header, data), 'x');
    expect([...tensors.keys()]).toEqual(['b', 'a']);
    expect(tensors.get('b')).toEqual({ dtype: 'int64', shape: [2], data: BigInt64Array.of(5n, -6n) });
    expect(tensors.get('a')).toEqual({ dtype: 'float32', shape: [], data: Float32Array.of(0.25) });
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('reads a file from a Uint8Array at an odd offset into its buffer', () => {
    const file = encodeSafetensors({ a: sample['b.f64']! });
    const big = new Uint8Array(file.length + 5);
    big.set(file, 5);
    expect(parseSafetensors(big.subarray(5), 'x').tensors.get('a')).toEqual(sample['b.f64']);
  });
});

describe('safetensors bad inputs', () => {
  const f32 = (name: string, shape: string, offsets: string) =>
    `"${name}":{"dtype":"F32","shape":${shape},"data_offsets":${offsets}}`;
  const cases: [string, Uint8Array, string][] = [
    [
      'shorter than the length prefix',
      new Uint8Array(5),
      'truncated: file is 5 bytes, too short for the 8-byte header length',
    ],
    [
      'header length larger than the file',
      stFile('{}', [], 1000),
      'truncated: header length is 1000 bytes, file has 2 bytes after the length prefix',
    ],
    [
      'absurd header length',
      stFile('{}', [], 2 ** 60),
      `truncated: header length is ${2n ** 60n} bytes, file has 2 bytes after the length prefix`,
    ],
    ['bad JSON', stFile('{"a": {'), 'bad header: not valid JSON'],
    ['header not an object', stFile('[1, 2]'), 'bad header: expected a JSON object'],
    ['entry not an object', stFile('{"a": 3}'), "tensor 'a': bad header entry (expected {dtype, shape, data_offsets})"],
    [
      'missing dtype',
      stFile('{"a": {"shape": [1], "data_offsets": [0, 4]}}', new Uint8Array(4)),
      "tensor 'a': missing dtype",
    ],
    [
      'F16',
      stFile('{"half":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      "tensor 'half': unsupported dtype F16 (expected F32, F64, I32 or I64)",
    ],
    [
      'BF16',
      stFile('{"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      "tensor 'h': unsupported dtype BF16 (expected F32, F64, I32 or I64)",
    ],
    [
      'bad shape',
      stFile(`{${f32('a', '[-1]', '[0, 4]')}}`),
      "tensor 'a': shape must be a list of non-negative integers",
    ],
    [
      'reversed offsets',
      stFile(`{${f32('a', '[1]', '[4, 0]')}}`),
      "tensor 'a': data_offsets must be [begin, end] with 0 <= begin <= end",
    ],
    [
      'offsets out of range',
      stFile(`{${f32('a', '[2]', '[4, 12]')}}`, new Uint8Array(8)),
      "tensor 'a': data_offsets [4, 12] extend past the end of the data (8 bytes)",
    ],
    [
      'overlapping tensors',
      stFile(`{${f32('a', '[2]', '[0, 8]')},${f32('b', '[2]', '[4, 12]')}}`, new Uint8Array(12)),
      "tensors 'a' and 'b' overlap (data_offsets [0, 8] and [4, 12])",
    ],
    [
      'shape/length mismatch',
      stFile(`{${f32('w', '[2, 3]', '[0, 20]')}}`, new Uint8Array(20)),
      "tensor 'w': data_offsets [0, 20] span 20 bytes, but F32 with shape [2, 3] needs 24 bytes",
    ],
    [
      'non-string metadata',
      stFile('{"__metadata__": {"epoch": 3}}'),
      "bad header: __metadata__ value for 'epoch' is not a string",
    ],
    ['metadata not an object', stFile('{"__metadata__": "x"}'), 'bad header: __metadata__ must map strings to strings'],
  ];
  for (const [name, bytes, message] of cases) {
    it(name, () => expect(errorOf(() => parseSafetensors(bytes, 'w.safetensors'))).toBe(`w.safetensors: ${message}`));
  }
});

describe('safetensors files', () => {
  it('writes atomically and reads back; reports a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cellforge-st-'));
    try {
      const path = join(dir, 'w.safetensors');
      writeSafetensors(path, sample, { source: 'test' });
      const back = readSafetensors(path);
      expect(Object.fromEntries(back.tensors)).toEqual(sample);
      expect(back.metadata).toEqual({ source: 'test' });
      expect(readdirSync(dir)).toEqual(['w.safetensors']);
      const missing = join(dir, 'none.safetensors');
      expect(errorOf(() => readSafetensors(missing))).toBe(`${missing}: no such file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
