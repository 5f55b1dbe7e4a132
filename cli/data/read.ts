// Reading the user's files: strict UTF-8 and JSON Lines, every problem one line naming the file and the line.
import { CellforgeError, fileError } from '../../ir/errors.js';
import { readFileBytes } from '../../runtime/io/atomic.js';

/** A file's text; a byte sequence that is not UTF-8 is an error naming its line. A leading BOM is dropped. */
export function readUtf8(path: string): string {
  const bytes = readFileBytes(path);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x0a) continue;
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        throw fileError(path, `line ${line}: not UTF-8 text`, 'save the file as UTF-8');
      }
      line++;
      start = i + 1;
    }
    throw fileError(path, 'not UTF-8 text', 'save the file as UTF-8');
  }
}

/** One JSON object per line; blank lines are skipped. Each record keeps its 1-based line number. */
export function readJsonl(path: string): { line: number; value: Record<string, unknown> }[] {
  const text = readUtf8(path);
  const out: { line: number; value: Record<string, unknown> }[] = [];
  text.split('\n').forEach((raw, i) => {
    const src = raw.trim();
    if (src === '') return;
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      throw fileError(path, `line ${i + 1}: malformed JSON (${why})`, 'one JSON object per line');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fileError(path, `line ${i + 1}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    out.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  if (out.length === 0) throw fileError(path, 'the file is empty (no JSON lines)');
  return out;
}

/** A record's field, required, with the file and line in the message when it is missing. */
export function field(path: string, line: number, record: Record<string, unknown>, name: string): unknown {
  if (!(name in record)) throw fileError(path, `line ${line}: no field '${name}'`, `fields on this line: ${Object.keys(record).join(', ') || 'none'}`);
  return record[name];
}

export function stringArray(path: string, line: number, v: unknown, name: string): string[] {
  if (!Array.isArray(v)) throw fileError(path, `line ${line}: field '${name}' must be an array`);
  return v.map((item, k) => {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw fileError(path, `line ${line}: ${name}[${k}] must be a string, got ${JSON.stringify(item)}`);
  });
}

export function tooFew(path: string, n: number, need: number, what: string): CellforgeError {
  return fileError(path, `only ${n} ${what}; training needs at least ${need} (a training, a validation and a test part)`);
}
