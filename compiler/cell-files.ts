// Where a cell's source comes from in Node: a path to a .cell.ts file, a built-in name (samples/cells), or the
// source text itself. The only part of the compiler that reads files; a page has its own version
// (web/shims/cell-files.ts: built-ins bundled as text) and the rest of the compiler runs there unchanged.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CellforgeError } from '../ir/errors.js';
import { builtinNames, builtinPath } from './builtins.js';

export { builtinNames } from './builtins.js';

export interface CellSource {
  readonly source: string;
  /** The path shown in messages. */
  readonly file: string;
}

/** A path to a cell file, a built-in name, or cell source text. */
export function resolveCellSource(spec: string): CellSource {
  const builtin = builtinPath(spec);
  if (builtin) return { source: readFileSync(builtin, 'utf8'), file: displayPath(builtin) };
  if (/\bcell\s*\(/.test(spec) && spec.includes('\n')) return { source: spec, file: '<source>' };
  if (existsSync(spec)) {
    if (!statSync(spec).isFile()) throw new CellforgeError(`${spec}: is a directory, not a cell file`, undefined, 'pass a .cell.ts file or a built-in name');
    return { source: readFileSync(spec, 'utf8'), file: displayPath(spec) };
  }
  throw new CellforgeError(`${spec}: no such cell file or built-in cell`, undefined, `built-in cells: ${builtinNames().join(', ')}`);
}

/** A built-in cell's source, or undefined when `name` is not one. */
export function builtinSource(name: string): CellSource | undefined {
  const path = builtinPath(name);
  return path ? { source: readFileSync(path, 'utf8'), file: displayPath(path) } : undefined;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolve(path));
  return rel.startsWith('..') ? resolve(path) : rel;
}
