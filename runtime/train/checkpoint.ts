// Checkpoint files: named float64 tensors in .safetensors, JSON metadata in __metadata__, a SHA-256 over the
// tensor bytes that loading verifies, written atomically (temp file + rename) so a kill never leaves a torn file.
import { createHash } from 'node:crypto';
import { fileError } from '../../ir/errors.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { NpyArray } from '../io/npy.js';

export const CHECKPOINT_FORMAT = 'cellforge-checkpoint/1';

export interface CheckpointTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export interface Checkpoint {
  readonly tensors: Map<string, CheckpointTensor>;
  /** The JSON values stored under each metadata key (except the format and checksum keys). */
  readonly meta: Record<string, unknown>;
}

/** SHA-256 over every tensor in name order: its name, shape and raw little-endian float64 bytes. */
export function tensorChecksum(tensors: ReadonlyMap<string, CheckpointTensor>): string {
  const h = createHash('sha256');
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    h.update(`${name}\0${t.shape.join(',')}\0`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

export function saveCheckpoint(path: string, tensors: ReadonlyMap<string, CheckpointTensor>, meta: Record<string, unknown>): void {
  const arrays = new Map<string, NpyArray>();
  for (const [name, t] of tensors) arrays.set(name, { dtype: 'float64', shape: [...t.shape], data: t.data });
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT };
  for (const [k, v] of Object.entries(meta)) metadata[k] = JSON.stringify(v);
  metadata.checksum = tensorChecksum(tensors);
  writeSafetensors(path, arrays, metadata);
}

/** Reads and verifies a checkpoint; a damaged or foreign file is a one-line user error naming it. */
export function loadCheckpoint(path: string): Checkpoint {
  const file = readSafetensors(path);
  const { format, checksum, ...rest } = file.metadata;
  if (format !== CHECKPOINT_FORMAT) {
    throw fileError(path, format ? `unsupported checkpoint format '${format}' (expected ${CHECKPOINT_FORMAT})` : 'not a cellforge checkpoint (no checkpoint metadata)');
  }
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, a] of file.tensors) {
    if (a.dtype !== 'float64') throw fileError(path, `checkpoint is corrupt: tensor '${name}' is ${a.dtype}, checkpoints hold float64`);
    tensors.set(name, { shape: a.shape, data: a.data as Float64Array });
  }
  const actual = tensorChecksum(tensors);
  if (checksum !== actual) {
    throw fileError(
      path,
      `checkpoint is corrupt: its tensor data do not match the SHA-256 recorded when it was saved (recorded ${(checksum ?? 'none').slice(0, 12)}…, found ${actual.slice(0, 12)}…)`,
      'the file was damaged after it was written; restore a copy or start again without --resume',
    );
  }
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    try {
      meta[k] = JSON.parse(v);
    } catch {
      throw fileError(path, `checkpoint is corrupt: metadata '${k}' is not valid JSON`);
    }
  }
  return { tensors, meta };
}
