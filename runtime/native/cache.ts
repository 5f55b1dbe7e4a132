// Compiled native libraries, cached on disk: one per (generated source, compiler, flags, CPU), in
// $XDG_CACHE_HOME/cellforge (else ~/.cache/cellforge), a directory of mode 0700. A library is written under a
// temporary name and renamed into place (atomic), beside a file holding its SHA-256; before loading, the library's
// hash is checked against it, and a library that does not match (tampered, truncated) is compiled again.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CellforgeError } from '../../ir/errors.js';
import { compileLibrary, type Toolchain } from './toolchain.js';

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'cellforge');
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  // Libraries are loaded into this process: never from a directory someone else controls.
  if (process.getuid && st.uid !== process.getuid()) throw new CellforgeError(`native library cache ${dir} belongs to another user`, undefined, 'set XDG_CACHE_HOME to a directory of your own');
  // An existing directory keeps whatever mode it had: make it ours alone.
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

const ext = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';

export interface CachedLibrary {
  readonly path: string;
  /** Milliseconds spent compiling (0: loaded from the cache). */
  readonly compileMs: number;
}

/** The library of `source` (compiled as `parts` units, toolchain.ts), compiled now unless a valid copy is cached. */
export async function cachedLibrary(tc: Toolchain, source: string, parts = 1): Promise<CachedLibrary> {
  let dir = cacheDir();
  try {
    ensureDir(dir);
  } catch {
    // A home without a writable cache (a read-only container, a CI user without a home): this user's temp dir.
    dir = join(tmpdir(), `cellforge-${process.getuid?.() ?? 'user'}`);
    ensureDir(dir);
  }
  const key = sha256([source, tc.cc, tc.version, tc.flags.join(' '), process.platform, process.arch, cpus()[0]?.model ?? ''].join('\0')).slice(0, 32);
  const path = join(dir, `cf-${key}.${ext}`);
  const hashFile = `${path}.sha256`;
  if (existsSync(path) && existsSync(hashFile)) {
    const expected = readFileSync(hashFile, 'utf8').trim();
    if (sha256(readFileSync(path)) === expected) return { path, compileMs: 0 };
  }
  const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}.${ext}`);
  const started = performance.now();
  try {
    await compileLibrary(tc, source, tmp, parts);
    const hash = sha256(readFileSync(tmp));
    const tmpHash = `${tmp}.sha256`;
    writeFileSync(tmpHash, `${hash}\n`, { mode: 0o600 });
    // The hash first: a reader that sees the new library also sees its hash (or an old hash, and recompiles).
    renameSync(tmpHash, hashFile);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.sha256`, { force: true });
  }
  return { path, compileMs: performance.now() - started };
}
