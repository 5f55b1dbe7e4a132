// Writing a command's outputs all-or-nothing: every file goes to a temporary name first, then all are renamed.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileError } from '../ir/errors.js';
import { encodeNpy } from '../runtime/io/npy.js';
import type { Tensor } from '../runtime/tensor.js';

export interface OutputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export function npyFile(name: string, t: Tensor, dtype: 'float32' | 'float64'): OutputFile {
  const data = dtype === 'float32' ? Float32Array.from(t.data) : Float64Array.from(t.data);
  return { name, bytes: encodeNpy({ dtype, shape: [...t.shape], data }) };
}

export function writeOutputs(dir: string, files: readonly OutputFile[]): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'it (or a parent) exists and is not a directory' : (code ?? String(err));
    throw fileError(dir, `cannot create output directory (${why})`, code === 'EEXIST' ? '--out names a directory, not a file' : undefined);
  }
  const temps = files.map((f) => join(dir, `.${f.name}.${process.pid}.tmp`));
  try {
    files.forEach((f, i) => writeFileSync(temps[i]!, f.bytes));
    files.forEach((f, i) => renameSync(temps[i]!, join(dir, f.name)));
  } catch (err) {
    for (const t of temps) rmSync(t, { force: true });
    throw fileError(dir, `cannot write outputs (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
