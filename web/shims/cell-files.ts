// Page version of compiler/cell-files.ts: a page has no files, so a cell is its source text or a built-in name;
// the built-in cells (samples/cells) are bundled as text.
import { CellforgeError } from '../../ir/errors.js';

export interface CellSource {
  readonly source: string;
  readonly file: string;
}

const sources = import.meta.glob<string>('../../samples/cells/*.cell.ts', { query: '?raw', import: 'default', eager: true });
const builtins = new Map(Object.entries(sources).map(([path, source]) => [path.split('/').pop()!.slice(0, -'.cell.ts'.length), source]));

export function builtinNames(): string[] {
  return [...builtins.keys()].sort();
}

export function builtinSource(name: string): CellSource | undefined {
  const source = builtins.get(name);
  return source === undefined ? undefined : { source, file: `samples/cells/${name}.cell.ts` };
}

export function resolveCellSource(spec: string): CellSource {
  const builtin = builtinSource(spec);
  if (builtin) return builtin;
  if (/\bcell\s*\(/.test(spec) && spec.includes('\n')) return { source: spec, file: '<source>' };
  throw new CellforgeError(`${spec}: not a built-in cell, and a page reads no files`, undefined, `built-in cells: ${builtinNames().join(', ')}`);
}
