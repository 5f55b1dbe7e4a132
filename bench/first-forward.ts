// Cold and warm first forwards: each backend in a fresh process, the first forward of a new RNN (what a user
// waits for), then the next ones. For native, "cold" compiles the C (a fresh cache directory), "disk" loads the
// library compiled by an earlier process. `npx tsx bench/first-forward.ts [lstm|gru|mgu] [S1|RM]`
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sizes, type SizeName } from './cases.js';

const child = process.env.CELLFORGE_FIRST_FORWARD_CHILD;
if (child) {
  const { builtinCell, RNN, tensor } = await import('../index.js');
  const [cellName, size, backend] = child.split(',') as [string, SizeName, 'native' | 'wasm'];
  const { B, X, H, T } = sizes[size];
  const x = tensor(Float32Array.from({ length: T * B * X }, (_, i) => Math.sin(i)), [T, B, X]);
  const t0 = performance.now();
  const rnn = new RNN(builtinCell(cellName), { inputSize: X, hiddenSize: H, backend, threads: 2 }).eval();
  await rnn.forward(x);
  const first = performance.now() - t0;
  const next: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await rnn.forward(x);
    next.push(performance.now() - t);
  }
  next.sort((a, b) => a - b);
  console.log(JSON.stringify({ first, warm: next[2] }));
  process.exit(0);
}

const [cellName = 'lstm', size = 'S1'] = process.argv.slice(2);
const script = fileURLToPath(import.meta.url);
const run = (backend: string, env: Record<string, string>) => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env, CELLFORGE_FIRST_FORWARD_CHILD: `${cellName},${size},${backend}` }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { first: number; warm: number };
};
const cache = mkdtempSync(join(tmpdir(), 'cellforge-first-'));
try {
  const rows = [
    ['wasm', run('wasm', {})],
    ['native, compile (empty cache)', run('native', { XDG_CACHE_HOME: cache })],
    ['native, library on disk', run('native', { XDG_CACHE_HOME: cache })],
  ] as const;
  console.log(`${cellName} ${size}, 2 threads: first forward of a new RNN in a fresh process (construction included), then the median of the next 5`);
  for (const [name, r] of rows) console.log(`${name.padEnd(32)} first ${r.first.toFixed(1).padStart(8)} ms   warm ${r.warm.toFixed(2).padStart(8)} ms`);
} finally {
  rmSync(cache, { recursive: true, force: true });
}
