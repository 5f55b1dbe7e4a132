// Hugging Face .safetensors files, read and written (atomically); the format itself is in safetensors-format.ts.
import { readFileBytes, writeFileAtomic } from './atomic.js';
import type { NpyArray } from './npy-format.js';
import { encodeSafetensors, parseSafetensors, type SafetensorsFile } from './safetensors-format.js';

export * from './safetensors-format.js';

export function readSafetensors(path: string): SafetensorsFile {
  return parseSafetensors(readFileBytes(path), path);
}

export function writeSafetensors(
  path: string,
  tensors: Record<string, NpyArray> | ReadonlyMap<string, NpyArray>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
