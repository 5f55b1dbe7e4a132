// Completions of the cell language, read from its declarations (dsl/index.d.ts) at build time, so the editor
// offers exactly what the compiler accepts, with each function's signature and doc comment.
/// <reference types="vite/client" />
import type { Completion, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import dslDeclarations from '../../dsl/index.d.ts?raw';

/** `/** doc *\/ export declare function name(params): type;` → a completion. */
export function dslCompletions(declarations: string): Completion[] {
  const out: Completion[] = [];
  const pattern = /\/\*\*([\s\S]*?)\*\/\s*export declare function (\w+)(?:<[^>]*>)?\(([^)]*(?:\([^)]*\)[^)]*)*)\)/g;
  for (const m of declarations.matchAll(pattern)) {
    const [, doc, name, params] = m;
    out.push({ label: name!, type: 'function', detail: `(${params!.replace(/\s+/g, ' ')})`, info: doc!.replace(/^\s*\*\s?/gm, '').trim(), apply: `${name}(` });
  }
  return out;
}

const functions = dslCompletions(dslDeclarations);
const keywords: Completion[] = ['const', 'return', 'export default', "import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';"].map((label) => ({ label, type: 'keyword' }));

/** Words in the cell language: DSL functions, then the few keywords a cell uses. */
export function cellCompletions(context: CompletionContext): CompletionResult | null {
  const word = context.matchBefore(/[\w$]+/);
  if (!word || (word.from === word.to && !context.explicit)) return null;
  return { from: word.from, options: [...functions, ...keywords], validFor: /^[\w$]*$/ };
}

export const dslFunctionNames = functions.map((f) => f.label);
