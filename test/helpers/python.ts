/**
 * Python with torch for the export tests, run as a child process.
 *
 *   const torchPython = findTorchPython();   // { python, version } or { missing: 'why' }
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

let found: TorchPython | undefined;

export function findTorchPython(): TorchPython {
  if (found) return found;
  const env = process.env.CELLFORGE_PYTHON;
  const candidates = env ? [env] : ['/usr/bin/python3', 'python3'];
  const why: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return (found = { python, torch: r.stdout.trim(), missing: null });
    const reason = r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    why.push(`${python}: ${reason}`);
  }
  const hint = env ? ' (from CELLFORGE_PYTHON)' : '; set CELLFORGE_PYTHON to a Python with torch (Debian: apt-get install --no-install-recommends python3-torch)';
  return (found = { python: null, missing: `no Python that imports torch${hint}: ${why.join('; ')}` });
}

/** Runs `script` with `args`; returns stdout, or throws with the script's stderr when it fails. */
export function runPython(python: string, script: string, args: readonly string[], timeoutMs = 300_000, env: Record<string, string> = {}): string {
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${python} ${script} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr}`);
  return r.stdout;
}
