// Safe text for generated code of every dialect: labels reduced to a safe alphabet, never user text verbatim.

/** A cell author's label for a comment: only [A-Za-z0-9_], at most 40 characters. */
export function safeLabel(label: string | undefined): string {
  return (label ?? '').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
}
