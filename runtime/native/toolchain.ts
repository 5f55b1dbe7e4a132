// The system C compiler for the native backend: `$CC`, else cc, gcc or clang; found once per process by compiling
// a probe. OpenMP is used where the compiler has it (-fopenmp), else the library runs on one thread.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Toolchain {
  /** The compiler command. */
  readonly cc: string;
  /** Its `--version` first line (part of the library cache key). */
  readonly version: string;
  readonly flags: readonly string[];
  readonly openmp: boolean;
}

/**
 * -O3 for the machine's own vector width; no fast-math: contraction off (the multiply-adds are explicit), errno off.
 * No auto-vectorizer: the generated code is written in vectors already, and GCC's attempts on everything else took
 * a third of a cell's compile (lstm_layernorm 1.56 -> 1.10 s) for loops that gain nothing from it.
 */
export const BASE_FLAGS = ['-O3', '-fno-tree-vectorize', '-march=native', '-ffp-contract=off', '-fno-math-errno', '-fPIC', '-shared', '-fvisibility=hidden'] as const;

export const INSTALL_HINT = 'install a C compiler (Debian/Ubuntu: apt-get install gcc; macOS: xcode-select --install; Windows: a MinGW-w64 gcc on PATH) or set CC';

function run(cmd: string, args: readonly string[], input?: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, [...args], { timeout: 120_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr) }));
    child.on('error', () => undefined);
    if (input !== undefined) child.stdin?.end(input);
  });
}

const PROBE = `#include <stdint.h>
#ifdef _OPENMP
#include <omp.h>
#endif
typedef float v __attribute__((vector_size(16)));
__attribute__((visibility("default"))) int probe(void) { v a = {1, 2, 3, 4}; a = a * a; return (int)a[3]; }
`;

let found: Promise<Toolchain | string> | undefined;

/** The toolchain, or why there is none (one line). */
export function findToolchain(): Promise<Toolchain | string> {
  return (found ??= probeAll());
}

/** For tests: forget the probed toolchain (after changing CC). */
export function resetToolchain(): void {
  found = undefined;
}

async function probeAll(): Promise<Toolchain | string> {
  const candidates = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
  const dir = mkdtempSync(join(tmpdir(), 'cellforge-probe-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(src, PROBE);
    for (const cc of candidates) {
      const version = await run(cc, ['--version']);
      if (!version.ok) continue;
      for (const openmp of [true, false]) {
        const flags = [...BASE_FLAGS, ...(openmp ? ['-fopenmp'] : [])];
        const r = await run(cc, [...flags, '-o', join(dir, 'probe.so'), src]);
        if (r.ok) return { cc, version: version.stdout.split('\n')[0]!.trim(), flags, openmp };
      }
    }
    return process.env.CC ? `the C compiler CC=${process.env.CC} does not work` : 'no C compiler found (tried cc, gcc, clang)';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Compiles `source` into the shared library `out`; the compiler's first error line on failure. With `parts` > 1
 * the source is compiled as that many translation units at once (-DCF_PART=k, see prelude.ts), one compiler per
 * core, then linked: a cell's forward and backward compile side by side (lstm_layernorm 1.00-1.04 -> 0.75-0.77 s
 * here, the other sample cells 0.51-0.71 -> 0.46-0.59 s).
 */
export async function compileLibrary(tc: Toolchain, source: string, out: string, parts = 1): Promise<void> {
  const src = `${out}.c`;
  const objects = Array.from({ length: parts }, (_, k) => `${out}.${k + 1}.o`);
  writeFileSync(src, source, { mode: 0o600 });
  const check = (r: { ok: boolean; stderr: string }) => {
    if (!r.ok) throw new Error(`the C compiler (${tc.cc}) failed on generated code: ${r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr.split('\n')[0]}`);
  };
  try {
    if (parts === 1) return check(await run(tc.cc, [...tc.flags, '-o', out, src]));
    const compiled = await Promise.all(objects.map((o, k) => run(tc.cc, [...tc.flags, `-DCF_PART=${k + 1}`, '-c', '-o', o, src])));
    compiled.forEach(check);
    check(await run(tc.cc, [...tc.flags, '-o', out, ...objects]));
  } finally {
    for (const f of [src, ...objects]) rmSync(f, { force: true });
  }
}
