// Built-in cells: the sample cells shipped in samples/cells, addressed by name.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { samplesDir } from './paths.js';

export function builtinNames(): string[] {
  return readdirSync(samplesDir())
    .filter((f) => f.endsWith('.cell.ts'))
    .map((f) => f.slice(0, -'.cell.ts'.length))
    .sort();
}

/** The path of a built-in cell's source, or undefined when `name` is not one. */
export function builtinPath(name: string): string | undefined {
  if (!/^[a-z0-9_]+$/.test(name)) return undefined;
  const path = join(samplesDir(), `${name}.cell.ts`);
  return existsSync(path) ? path : undefined;
}
