// Safe text for generated JavaScript: numbers re-printed from parsed values, labels reduced to a safe alphabet.

/** A finite number as a JS literal; never user text. */
export function jsNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

/** A cell author's label for a comment: only [A-Za-z0-9_], at most 40 characters. */
export function safeLabel(label: string | undefined): string {
  return (label ?? '').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
}
