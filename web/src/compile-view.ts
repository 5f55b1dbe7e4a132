// In the worker: compile the editor's text and render what the compiler made, as `cellforge compile --emit` does.
import { compileSource } from '../../compiler/compile.js';
import { CellforgeError } from '../../ir/errors.js';
import type { Diagnostic, ViewKind } from './protocol.js';
import { viewKinds } from './protocol.js';

export interface CompileResult {
  readonly diagnostics: Diagnostic[];
  readonly views: Partial<Record<ViewKind, string>>;
  readonly cell?: string;
}

/** A compile error as a diagnostic; an internal error is shown at line 1, since it is not the user's to find. */
export function toDiagnostic(err: unknown): Diagnostic {
  if (err instanceof CellforgeError) {
    const loc = err.location;
    return { line: loc?.line ?? 1, column: loc?.column ?? 1, length: loc?.length ?? 1, message: err.message, ...(err.hint ? { hint: err.hint } : {}), source: 'cellforge' };
  }
  return { line: 1, column: 1, length: 1, message: `internal error: ${err instanceof Error ? err.message : String(err)}`, source: 'cellforge' };
}

export function compileForView(source: string, file: string, sizes: { X: number; H: number }): CompileResult {
  let cell;
  try {
    cell = compileSource(source, file);
  } catch (err) {
    return { diagnostics: [toDiagnostic(err)], views: {} };
  }
  const views: Partial<Record<ViewKind, string>> = {};
  const diagnostics: Diagnostic[] = [];
  for (const kind of viewKinds) {
    try {
      views[kind] = cell.emit(kind, { inputSize: sizes.X, hiddenSize: sizes.H });
    } catch (err) {
      views[kind] = `(${kind} not available: ${err instanceof Error ? err.message : String(err)})`;
      if (kind === 'ir' || kind === 'backward-ir') diagnostics.push(toDiagnostic(err));
    }
  }
  return { diagnostics, views, cell: cell.name };
}
