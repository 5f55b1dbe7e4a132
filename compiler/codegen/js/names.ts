// Safe text for generated JavaScript: numbers re-printed from parsed values.

/** A finite number as a JS literal; never user text. */
export function jsNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}
