// User-facing errors (bad cell source, bad files, bad flags) versus internal invariants (our bugs).

/** Where in a user's file something went wrong; `line`/`column` are 1-based. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The full text of the offending source line, for the caret display. */
  readonly lineText?: string;
  /** How many characters the caret underline spans. */
  readonly length?: number;
}

/**
 * An error the user can fix. `message` is one plain line; `format()` adds `file:line:col`, the source line
 * with a caret under the offending code, and the hint.
 */
export class CellforgeError extends Error {
  override readonly name = 'CellforgeError';
  constructor(
    message: string,
    readonly location?: SourceLocation,
    readonly hint?: string,
  ) {
    super(message);
  }

  /** `file:line:col: message`, then the caret display and the hint when known. */
  format(): string {
    const loc = this.location;
    const head = loc ? `${loc.file}:${loc.line}:${loc.column}: ${this.message}` : this.message;
    const lines = [head];
    if (loc?.lineText !== undefined) {
      const gutter = `${loc.line} | `;
      lines.push(gutter + loc.lineText);
      lines.push(' '.repeat(gutter.length + loc.column - 1) + '^'.repeat(Math.max(1, loc.length ?? 1)));
    }
    if (this.hint) lines.push(`hint: ${this.hint}`);
    return lines.join('\n');
  }
}

/** A user error about a named file (not cell source): `path: message`. */
export function fileError(path: string, message: string, hint?: string): CellforgeError {
  return new CellforgeError(`${path}: ${message}`, undefined, hint);
}

/** Internal consistency check; failing it is a cellforge bug, never the user's. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`cellforge internal error: ${message}`);
}
