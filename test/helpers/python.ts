/**
 * Python with torch for the export tests, run as a child process.
 *
 *   const torchPython = findTorchPython();   // { python, torch: version } or { missing: 'why' }
 *   describeWith('torch', torchPython.missing, 'export', () => { ... runPython(torchPython.python!, script, args) });
 *
 * Candidates: $CELLFORGE_PYTHON when set (then only it), else /usr/bin/python3 (Debian's, where python3-torch
 * installs) and `python3` on PATH (often a separate build without torch).
 */
import { spawnSync } from 'node:child_process';

export interface TorchPython {
  /** The interpreter to run, or null when none imports torch. */
  readonly python: string | null;
  /** torch's version, e.g. "1.13.0a0". */
  readonly torch?: string;
  /** Why no candidate works (every candidate and its failure), or null when one does. */
  readonly missing: string | null;
}

const found = new Map<string, TorchPython>();

/** A Python that imports torch (its version in `torch`). */
export function findTorchPython(): TorchPython {
  return findPython('torch', 'python3-torch');
}

/** A Python that imports `module` (Debian package `deb`), e.g. onnx for onnx.checker. */
export function findPython(module: string, deb: string): TorchPython {
  const known = found.get(module);
  if (known) return known;
  const env = process.env.CELLFORGE_PYTHON;
  const candidates = env ? [env] : ['/usr/bin/python3', 'python3'];
  const why: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      const result = { python, missing: null, ...(module === 'torch' ? { torch: r.stdout.trim() } : {}) };
      found.set(module, result);
      return result;
    }
    const reason = r.error ? ((r.error as NodeJS.ErrnoException).code ?? r.error.message) : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    why.push(`${python}: ${reason}`);
  }
  const hint = env ? ' (from CELLFORGE_PYTHON)' : `; set CELLFORGE_PYTHON to a Python with ${module} (Debian: apt-get install --no-install-recommends ${deb})`;
  const result = { python: null, missing: `no Python that imports ${module}${hint}: ${why.join('; ')}` };
  found.set(module, result);
  return result;
}

/** Runs `script` with `args`; returns stdout, or throws with the script's stderr when it fails. */
export function runPython(python: string, script: string, args: readonly string[], timeoutMs = 300_000, env: Record<string, string> = {}): string {
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${python} ${script} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return r.stdout;
}
