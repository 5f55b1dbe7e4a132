// The cell editor: CodeMirror 6 with TypeScript highlighting, the cell language's completions, and diagnostics
// (cellforge's and the type checker's) underlined at their line and column with the hint.
import { autocompletion } from '@codemirror/autocomplete';
import { javascript } from '@codemirror/lang-javascript';
import { lintGutter, setDiagnostics, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { EditorView, basicSetup } from 'codemirror';
import { cellCompletions } from './completions.js';
import type { Diagnostic } from './protocol.js';

export interface CellEditor {
  readonly view: EditorView;
  text(): string;
  setText(text: string): void;
  show(diagnostics: readonly Diagnostic[]): void;
}

export function createEditor(parent: HTMLElement, doc: string, onChange: (text: string) => void): CellEditor {
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      basicSetup,
      javascript({ typescript: true }),
      autocompletion({ override: [cellCompletions] }),
      lintGutter(),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange(u.state.doc.toString());
      }),
    ],
  });
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    show(diagnostics) {
      view.dispatch(setDiagnostics(view.state, diagnostics.map((d) => toCodeMirror(view, d))));
    },
  };
}

function toCodeMirror(view: EditorView, d: Diagnostic): CmDiagnostic {
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(1, d.line), doc.lines));
  const from = Math.min(line.from + d.column - 1, line.to);
  const to = Math.min(from + Math.max(1, d.length), doc.length);
  const message = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
  return { from, to: Math.max(to, from), severity: 'error', source: d.source, message };
}
