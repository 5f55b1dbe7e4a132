// One cell on the page: its sample menu, the editor, the diagnostics list and the compiler's views. Compiles as
// you type (debounced); the compiler's own errors come first, the type checker's after them.
import type { CellEditor } from './editor.js';
import { createEditor } from './editor.js';
import type { Diagnostic, ViewKind } from './protocol.js';
import { viewKinds } from './protocol.js';
import type { CompilerClient } from './workers.js';

const samples = import.meta.glob<string>('../../samples/cells/*.cell.ts', { query: '?raw', import: 'default', eager: true });
export const sampleSources = new Map(
  Object.entries(samples)
    .map(([path, text]) => [path.split('/').pop()!.slice(0, -'.cell.ts'.length), text] as const)
    .sort(([a], [b]) => a.localeCompare(b)),
);

const DEBOUNCE_MS = 150;
const viewTitles: Record<ViewKind, string> = { ir: 'step IR', 'backward-ir': 'backward IR', wgsl: 'WGSL', js: 'JS', wasm: 'WASM text' };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, testid?: string): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  if (testid) (e as HTMLElement).dataset.testid = testid;
  return e;
}

export class CellPane {
  readonly root: HTMLElement;
  private readonly editor: CellEditor;
  private readonly diagnosticsList: HTMLUListElement;
  private readonly status: HTMLSpanElement;
  private readonly select: HTMLSelectElement;
  private readonly views = new Map<ViewKind, HTMLPreElement>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  /** The latest compile succeeded. */
  ok = false;

  constructor(
    parent: HTMLElement,
    readonly label: string,
    /** '' for the first cell, '-b' for the second: suffix of its data-testid hooks. */
    readonly suffix: string,
    initial: string,
    private readonly compiler: CompilerClient,
    /** A second worker for the type checker, whose first program takes a second or two to build: the compiler's
     * answers never wait behind it. */
    private readonly checker: CompilerClient,
    private readonly onEdit: () => void,
  ) {
    this.root = el('section', { className: 'pane' });
    const head = el('div', { className: 'pane-head' });
    this.select = el('select', {}, `samples${suffix}`);
    this.select.append(el('option', { value: '', textContent: '(your cell)' }));
    for (const name of sampleSources.keys()) this.select.append(el('option', { value: name, textContent: name }));
    this.select.onchange = () => {
      const text = sampleSources.get(this.select.value);
      if (text !== undefined) this.editor.setText(text);
    };
    this.status = el('span', { className: 'status' }, `status${suffix}`);
    const sampleLabel = el('label', { textContent: 'sample ' });
    sampleLabel.append(this.select);
    head.append(el('span', { className: 'name', textContent: label }), sampleLabel, this.status);
    const editorBox = el('div', { className: 'editor' }, `editor${suffix}`);
    this.diagnosticsList = el('ul', { className: 'diagnostics' }, `diagnostics${suffix}`);
    const tabs = el('div', { className: 'tabs' });
    const viewBox = el('div');
    for (const kind of viewKinds) {
      const pre = el('pre', { className: 'view', hidden: kind !== 'ir' }, `view-${kind}${suffix}`);
      this.views.set(kind, pre);
      viewBox.append(pre);
      const tab = el('button', { type: 'button', textContent: viewTitles[kind], className: kind === 'ir' ? 'active' : '' });
      tab.onclick = () => {
        for (const b of tabs.children) b.classList.toggle('active', b === tab);
        for (const [k, p] of this.views) p.hidden = k !== kind;
      };
      tabs.append(tab);
    }
    const note = el('p', { className: 'summary', textContent: 'Generated code specialised to X = H = 16, as `cellforge compile --emit` prints it.' });
    const left = el('div', { className: 'pane-source' });
    const right = el('div', { className: 'pane-views' });
    left.append(editorBox, this.diagnosticsList);
    right.append(tabs, viewBox, note);
    this.root.append(head, left, right);
    parent.append(this.root);
    this.editor = createEditor(editorBox, sampleSources.get(initial) ?? initial, () => this.changed());
    this.select.value = sampleSources.has(initial) ? initial : '';
    void this.compile();
  }

  /** The sample's name while the text is a sample's, else undefined. */
  get sampleName(): string | undefined {
    const text = this.editor.text();
    for (const [name, source] of sampleSources) if (source === text) return name;
    return undefined;
  }

  get source(): string {
    return this.editor.text();
  }

  /** The file name the compiler reports and names the cell by. */
  get file(): string {
    const sample = this.sampleName;
    return sample ? `samples/cells/${sample}.cell.ts` : `my_cell${this.suffix.replace('-', '_')}.cell.ts`;
  }

  /** What the URL hash holds for this cell: a sample's name, or the source text. */
  get hashValue(): string {
    return this.sampleName ?? this.source;
  }

  private changed(): void {
    this.select.value = this.sampleName ?? '';
    this.status.textContent = 'editing…';
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.compile(), DEBOUNCE_MS);
    this.onEdit();
  }

  private async compile(): Promise<void> {
    const generation = ++this.generation;
    const source = this.editor.text();
    this.status.textContent = 'compiling…';
    const r = await this.compiler.request<'compiled'>({ type: 'compile', source, file: this.file, sizes: { X: 16, H: 16 } });
    if (generation !== this.generation) return;
    this.ok = r.diagnostics.length === 0;
    for (const [kind, pre] of this.views) pre.textContent = r.views[kind] ?? '';
    this.show(r.diagnostics);
    this.status.textContent = this.ok ? `cell ${r.cell} compiled in ${r.ms.toFixed(0)} ms` : 'does not compile';
    if (!this.ok) return;
    const t = await this.checker.request<'typechecked'>({ type: 'typecheck', source });
    if (generation !== this.generation) return;
    this.show(t.diagnostics);
    this.status.textContent += t.diagnostics.length === 0 ? '; types check' : `; ${t.diagnostics.length} type error${t.diagnostics.length > 1 ? 's' : ''}`;
  }

  private show(diagnostics: readonly Diagnostic[]): void {
    this.editor.show(diagnostics);
    this.diagnosticsList.replaceChildren(
      ...diagnostics.map((d) => {
        const li = el('li', { textContent: `${d.line}:${d.column} ${d.message}${d.hint ? ` (hint: ${d.hint})` : ''}` });
        li.dataset.line = String(d.line);
        li.dataset.column = String(d.column);
        li.dataset.source = d.source;
        return li;
      }),
    );
  }
}
