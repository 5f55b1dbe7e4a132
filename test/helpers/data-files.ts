// Small hand-written data files for the user-data commands, in a temporary folder, and the CLI run in-process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main.js';
import { encodeNpy, type Dtype } from '../../runtime/io/npy.js';
import { optionalPackageDir } from '../../samples/tasks/optional-package.js';

export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { out: (t) => void (stdout += t), err: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

export class DataDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'cellforge-data-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, content: string | Uint8Array): string {
    writeFileSync(this.path(name), content);
    return this.path(name);
  }

  jsonl(name: string, rows: readonly unknown[]): string {
    return this.write(name, rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  }

  npy(name: string, dtype: Dtype, shape: number[], values: (i: number) => number): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = Array.from({ length: n }, (_, i) => values(i));
    const data = dtype === 'float32' ? Float32Array.from(v) : dtype === 'float64' ? Float64Array.from(v) : dtype === 'int32' ? Int32Array.from(v) : BigInt64Array.from(v, (x) => BigInt(x));
    return this.write(name, encodeNpy({ dtype, shape, data }));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** 40 short texts of two classes, told apart by one word. */
export function sentiment(n = 40): { text: string; label: string }[] {
  const good = ['great', 'lovely', 'fine', 'good'];
  const bad = ['awful', 'poor', 'sad', 'grim'];
  return Array.from({ length: n }, (_, i) => (i % 2 === 0 ? { text: `a ${good[i % 4]} day`, label: 'pos' } : { text: `a ${bad[i % 4]} day`, label: 'neg' }));
}

/** 30 tagged sentences: determiners, nouns, verbs. */
export function tagged(n = 30): { tokens: string[]; tags: string[] }[] {
  const words: [string, string][] = [['the', 'DET'], ['a', 'DET'], ['cat', 'N'], ['dog', 'N'], ['runs', 'V'], ['eats', 'V']];
  return Array.from({ length: n }, (_, i) => {
    const picks = Array.from({ length: 3 + (i % 4) }, (_, k) => words[(i * 7 + k * 3) % words.length]!);
    return { tokens: picks.map((p) => p[0]), tags: picks.map((p) => p[1]) };
  });
}

/** Null when the optional data package is installed, else why not (for describeWith). */
export function packageMissing(pkg: string): string | null {
  try {
    optionalPackageDir(pkg, pkg);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
