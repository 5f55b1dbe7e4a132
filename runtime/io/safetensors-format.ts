// The Hugging Face .safetensors format for named F32/F64/I32/I64 tensors: bytes to tensors and back. No file access
// (safetensors.ts reads and writes files), so a page can use it too.
import { fileError, invariant } from '../../ir/errors.js';
import { arrayBytes, elementCount, itemSize, typedFromBytes, type Dtype, type NpyArray } from './npy-format.js';

export interface SafetensorsFile {
  /** Tensors in the order the header lists them. */
  tensors: Map<string, NpyArray>;
  /** The free-form `__metadata__` string map; empty when the file has none. */
  metadata: Record<string, string>;
}

const FROM_CODE: Record<string, Dtype> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int64' };
const TO_CODE: Record<Dtype, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64' };

interface Entry {
  name: string;
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Decodes a whole .safetensors file; `path` only names the file in error messages. */
export function parseSafetensors(bytes: Uint8Array, path: string): SafetensorsFile {
  const fail = (message: string) => fileError(path, message);
  if (bytes.length < 8) throw fail(`truncated: file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) {
    // The JSON header starts with '{'. Without it this is some other kind of file (its first 8 bytes read as a
    // nonsense length), and "truncated" would mislead.
    if (bytes.length > 8 && bytes[8] !== 0x7b) throw fail('not a .safetensors file (no JSON header after the 8-byte length prefix)');
    const left = bytes.length - 8;
    throw fail(`truncated: header length is ${headerLen} bytes, file has ${left} bytes after the length prefix`);
  }
  const dataStart = 8 + Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch {
    // JSON.parse's wording changes between Node versions; the file is machine-written, so no detail is lost.
    throw fail('bad header: not valid JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw fail('bad header: expected a JSON object');
  }

  const dataLen = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = readMetadata(raw, fail);
      continue;
    }
    const entry = readEntry(name, raw, fail);
    if (entry.end > dataLen) {
      throw fail(
        `tensor '${name}': data_offsets [${entry.begin}, ${entry.end}] ` +
          `extend past the end of the data (${dataLen} bytes)`,
      );
    }
    entries.push(entry);
  }

  // Overlapping tensors would alias each other's data, which a well-formed file never does.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < byOffset.length; i++) {
    const [a, b] = [byOffset[i - 1]!, byOffset[i]!];
    if (b.begin < a.end) {
      throw fail(
        `tensors '${a.name}' and '${b.name}' overlap (data_offsets [${a.begin}, ${a.end}] and [${b.begin}, ${b.end}])`,
      );
    }
  }

  const tensors = new Map<string, NpyArray>();
  for (const e of entries) {
    const data = typedFromBytes(e.dtype, bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function readMetadata(raw: unknown, fail: (m: string) => Error): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw fail('bad header: __metadata__ must map strings to strings');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw fail(`bad header: __metadata__ value for '${k}' is not a string`);
    out[k] = v;
  }
  return out;
}

function readEntry(name: string, raw: unknown, fail: (m: string) => Error): Entry {
  const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw fail(`tensor '${name}': bad header entry (expected {dtype, shape, data_offsets})`);
  }
  const isIndex = (d: unknown): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
  if (typeof r.dtype !== 'string') throw fail(`tensor '${name}': missing dtype`);
  const dtype = FROM_CODE[r.dtype];
  if (!dtype) throw fail(`tensor '${name}': unsupported dtype ${r.dtype} (expected F32, F64, I32 or I64)`);
  if (!Array.isArray(r.shape) || !r.shape.every(isIndex)) {
    throw fail(`tensor '${name}': shape must be a list of non-negative integers`);
  }
  const offsets = r.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    throw fail(`tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const shape = r.shape as number[];
  const needed = elementCount(shape) * itemSize(dtype);
  if (end - begin !== needed) {
    throw fail(
      `tensor '${name}': data_offsets [${begin}, ${end}] span ${end - begin} bytes, ` +
        `but ${r.dtype} with shape [${shape.join(', ')}] needs ${needed} bytes`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** Encodes tensors sorted by name, so equal inputs give identical files whatever order they were built in. */
export function encodeSafetensors(
  tensors: Record<string, NpyArray> | ReadonlyMap<string, NpyArray>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list: [string, NpyArray][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  invariant(!list.some(([name]) => name === '__metadata__'), "'__metadata__' is reserved and cannot name a tensor");
  list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  // Null prototype: a tensor named '__proto__' must become a key, not replace the prototype.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, arr] of list) {
    const data = arrayBytes(arr, `encodeSafetensors: tensor '${name}'`);
    header[name] = { dtype: TO_CODE[arr.dtype], shape: arr.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }

  // Padding the header to a multiple of 8 keeps the data section 8-byte aligned, as the reference writer does.
  let json = JSON.stringify(header);
  let headerBytes = new TextEncoder().encode(json);
  json += ' '.repeat((8 - (headerBytes.length % 8)) % 8);
  headerBytes = new TextEncoder().encode(json);

  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

