/**
 * Dawn (the `webgpu` package) prints warnings straight to file descriptor 2 from native code while an adapter is
 * probed: limits it lowers ("maxDynamicUniformBuffersPerPipelineLayout artificially reduced ...") and, without a
 * Vulkan loader, "Couldn't load Vulkan". A user of `backend: 'auto'` should not see those. Node cannot reroute a
 * write made by native code, so for the probe fd 2 is pointed at a temporary file through libc's dup/dup2 (koffi),
 * and what was written there is handed back: Dawn's lines to the caller (they explain a failed probe), anything
 * else (JavaScript writing to stderr meanwhile) back to the real stderr.
 *
 * Node-only; loaded by device.ts only when there is no `navigator.gpu`. Where libc cannot be reached (Windows,
 * koffi missing) the probe runs unchanged.
 */

export interface Captured<T> {
  readonly value: T;
  /** Dawn's own lines ("Warning: ..."), joined with "; ", without the native source locations. */
  readonly dawn: string;
}

interface Libc {
  dup(fd: number): number;
  dup2(from: number, to: number): number;
  close(fd: number): number;
}

// Variable specifiers keep browser bundlers away from these Node-only modules.
const nodeModule = (name: string): Promise<unknown> => import(name);

async function loadLibc(): Promise<Libc | null> {
  if (process.platform !== 'linux' && process.platform !== 'darwin') return null;
  try {
    const koffi = ((await nodeModule('koffi')) as { default: KoffiLike }).default;
    const lib = koffi.load(process.platform === 'darwin' ? 'libSystem.B.dylib' : 'libc.so.6');
    return {
      dup: lib.func('int dup(int)') as Libc['dup'],
      dup2: lib.func('int dup2(int, int)') as Libc['dup2'],
      close: lib.func('int close(int)') as Libc['close'],
    };
  } catch {
    return null;
  }
}

interface KoffiLike {
  load(path: string): { func(signature: string): unknown };
}

/** Runs `probe` with fd 2 captured; see the module comment. */
export async function captureNativeStderr<T>(probe: () => Promise<T>): Promise<Captured<T>> {
  const libc = await loadLibc();
  if (!libc) return { value: await probe(), dawn: '' };
  const fs = (await nodeModule('node:fs')) as typeof import('node:fs');
  const os = (await nodeModule('node:os')) as typeof import('node:os');
  const path = (await nodeModule('node:path')) as typeof import('node:path');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellforge-dawn-'));
  const file = path.join(dir, 'stderr.txt');
  const sink = fs.openSync(file, 'w', 0o600);
  const saved = libc.dup(2);
  if (saved < 0 || libc.dup2(sink, 2) < 0) {
    if (saved >= 0) libc.close(saved);
    fs.closeSync(sink);
    fs.rmSync(dir, { recursive: true, force: true });
    return { value: await probe(), dawn: '' };
  }
  let text = '';
  try {
    const value = await probe();
    return { value, dawn: dawnLines((text = restore())) };
  } catch (err) {
    text = restore();
    throw err;
  } finally {
    const others = otherLines(text);
    if (others) process.stderr.write(others);
  }

  function restore(): string {
    libc!.dup2(saved, 2);
    libc!.close(saved);
    fs.closeSync(sink);
    const captured = fs.readFileSync(file, 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    return captured;
  }
}

// Dawn's format: "Warning: <message>" then "    at <function> (<file>.cpp:<line>)".
const isDawnLine = (line: string) => /^(Warning|Error|Info): /.test(line);
const isDawnLocation = (line: string) => /^\s+at .*\.(cpp|cc|h):\d+\)?\s*$/.test(line);

function dawnLines(text: string): string {
  return text
    .split('\n')
    .filter(isDawnLine)
    .map((l) => l.replace(/^Warning: /, ''))
    .join('; ');
}

function otherLines(text: string): string {
  const kept = text.split('\n').filter((l) => l.trim() !== '' && !isDawnLine(l) && !isDawnLocation(l));
  return kept.length > 0 ? kept.join('\n') + '\n' : '';
}
