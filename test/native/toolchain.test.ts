// The native backend's compiler and disk cache: a missing compiler (one clear line for 'native', wasm for 'auto'),
// the cache directory's mode, atomic reuse, and a tampered library compiled again rather than loaded.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCell, RNN, tensor } from '../../index.js';
import { cachedLibrary, cacheDir } from '../../runtime/native/cache.js';
import { loadLibrary } from '../../runtime/native/library.js';
import { compileLibrary, findToolchain, INSTALL_HINT, resetToolchain, type Toolchain } from '../../runtime/native/toolchain.js';
import { describeWith } from '../helpers/component.js';

const toolchain = await findToolchain();
const missing = typeof toolchain === 'string' ? toolchain : null;

describeWith('C compiler', missing, 'native library cache', () => {
  const tc = toolchain as Toolchain;
  let dir: string;
  const saved = process.env.XDG_CACHE_HOME;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cellforge-cache-'));
    process.env.XDG_CACHE_HOME = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  const source = `__attribute__((visibility("default"))) int cf_answer(void) { return ${process.pid % 1000}; }\n`;

  it('compiles once into $XDG_CACHE_HOME/cellforge (mode 0700), then reuses the library', async () => {
    const first = await cachedLibrary(tc, source);
    expect(first.compileMs).toBeGreaterThan(0);
    expect(first.path.startsWith(join(dir, 'cellforge'))).toBe(true);
    expect(cacheDir()).toBe(join(dir, 'cellforge'));
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    const again = await cachedLibrary(tc, source);
    expect(again).toEqual({ path: first.path, compileMs: 0 });
    // nothing left behind but the library and its hash
    expect(readdirSync(cacheDir()).sort()).toEqual([first.path, `${first.path}.sha256`].map((p) => p.slice(cacheDir().length + 1)).sort());
  });

  it('a tampered library (or hash file) is compiled again, never loaded', async () => {
    const { path } = await cachedLibrary(tc, source);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
    writeFileSync(path, bad);
    const rebuilt = await cachedLibrary(tc, source);
    expect(rebuilt.compileMs).toBeGreaterThan(0);
    expect(readFileSync(path).equals(bad)).toBe(false);
    writeFileSync(`${path}.sha256`, '0'.repeat(64));
    expect((await cachedLibrary(tc, source)).compileMs).toBeGreaterThan(0);
    expect((await cachedLibrary(tc, source)).compileMs).toBe(0);
  });

  it('--verbose (CELLFORGE_VERBOSE) reports each library: compiled, with its time, or from the cache', async () => {
    const { nativeLibrary, compileLog } = await import('../../runtime/native/library.js');
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.env.CELLFORGE_VERBOSE = '1';
    process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await nativeLibrary(builtinCell('rnn_tanh'), { X: 2, H: 5 });
    } finally {
      process.stderr.write = write;
      delete process.env.CELLFORGE_VERBOSE;
    }
    expect(lines.join('')).toMatch(/^cellforge: native rnn_tanh X=2 H=5: (compiled in \d+ ms|from the cache) \(.+\)\n$/);
    expect(compileLog.at(-1)).toMatchObject({ cell: 'rnn_tanh', X: 2, H: 5 });
  });

  it("a cell's library compiles as two parts side by side, and its source (as --emit c prints it) as one unit", async () => {
    const { cProgram } = await import('../../compiler/codegen/c/program.js');
    const program = cProgram(builtinCell('lstm_layernorm'), { X: 6, H: 10 });
    expect(program.parts).toBe(2);
    // its backward's first phase functions compile beside the forward (sizes balanced), called from the other part
    expect(program.source).toMatch(/^CROSS void FUSED bwd_phase1\(.*\);$/m);
    for (const parts of [2, 1]) {
      const out = join(dir, `parts-${parts}.so`);
      await compileLibrary(tc, program.source, out, parts);
      const lib = loadLibrary(out);
      for (const fn of ['void cf_forward(void)', 'void cf_backward(void)', 'int cf_last_team(void)', 'void cf_share_from(int64_t n)', 'int cf_vector_width(void)']) expect(() => lib.func(fn), fn).not.toThrow();
    }
    // a part that fails names the compiler's error; nothing is left beside the output
    const broken = join(dir, 'broken', 'lib.so');
    mkdirSync(join(dir, 'broken'));
    await expect(compileLibrary(tc, `${program.source}\n#if CF_PART == 2\n#error part two is broken\n#endif\n`, broken, 2)).rejects.toThrow(/failed on generated code: .*error: #error part two is broken/);
    expect(readdirSync(join(dir, 'broken'))).toEqual([]);
  });

  it('an existing cache directory open to others is made private', async () => {
    const { chmodSync } = await import('node:fs');
    chmodSync(cacheDir(), 0o755);
    await cachedLibrary(tc, source);
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
  });
});

describe('without a C compiler', () => {
  const saved = process.env.CC;
  beforeAll(() => {
    process.env.CC = join(tmpdir(), 'cellforge-no-such-compiler');
    resetToolchain();
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.CC;
    else process.env.CC = saved;
    resetToolchain();
  });
  const x = tensor(new Float32Array(2 * 1 * 3), [2, 1, 3]);

  it("backend 'native' fails with one line saying what to install", async () => {
    const rnn = new RNN(builtinCell('gru'), { inputSize: 3, hiddenSize: 4, backend: 'native' });
    const err = await rnn.forward(x).then(() => null, (e: unknown) => e as Error & { hint?: string });
    expect(err?.message).toMatch(/^backend native: the C compiler CC=.*cellforge-no-such-compiler does not work$/);
    expect(err?.hint).toBe(INSTALL_HINT);
  });

  it("backend 'auto' is not an error: it runs on wasm (no hardware GPU here) or webgpu", async () => {
    const rnn = new RNN(builtinCell('gru'), { inputSize: 3, hiddenSize: 4, backend: 'auto' });
    await rnn.forward(x);
    expect(['wasm', 'webgpu']).toContain(rnn.backend.name);
  });
});

describe('cellforge compile --emit c', () => {
  it('prints the generated C of a cell: generated names only, the cell text nowhere', async () => {
    const { compileCell } = await import('../../index.js');
    const cell = compileCell(`import { cell, linear, tanh } from 'cellforge/dsl';
/** A doc with a */ /* comment end and a "quote". */
export default cell({ state: ['h'] }, (x, { h }) => ({ h: tanh(linear('evil_name', x) + linear('hh', h)) }));
`);
    const c = cell.emit('c', { inputSize: 3, hiddenSize: 5 });
    const source = c.slice(c.indexOf('#include'));
    expect(source).toContain('EXPORT void cf_forward(');
    expect(source).toContain('EXPORT void cf_backward(');
    expect(source).not.toMatch(/evil_name|comment end|quote/);
  });
});
