// NumPy .npy files, read and written (atomically); the format itself is in npy-format.ts.
import { readFileBytes, writeFileAtomic } from './atomic.js';
import { encodeNpy, parseNpy, type NpyArray } from './npy-format.js';

export * from './npy-format.js';

export function readNpy(path: string): NpyArray {
  return parseNpy(readFileBytes(path), path);
}

export function writeNpy(path: string, arr: NpyArray): void {
  writeFileAtomic(path, encodeNpy(arr));
}
