// compileCell: cell source (a path, a built-in name or the text itself) -> IR and emitted code. Files are read only
// in cell-files.ts (Node); everything here also runs in a page.
import { CellforgeError } from '../ir/errors.js';
import { printGraph } from '../ir/print.js';
import { showShape } from '../ir/shape.js';
import { verify } from '../ir/verify.js';
import { builtinNames, builtinSource, resolveCellSource } from './cell-files.js';
import type { CompiledCell, EmitKind, EmitSizes } from './compiled-cell.js';
import { jsKernels } from './codegen/js/kernels.js';
import { wgslProgram } from './codegen/wgsl/program.js';
import { wasmProgram } from './codegen/wasm/program.js';
import { cProgram } from './codegen/c/program.js';
import { relaxedSimd } from './codegen/wasm/assemble.js';
import { differentiate, type BackwardIR } from './autodiff/backward.js';
import { parseCell } from './frontend/parse.js';

export { emitKinds, type CompiledCell, type EmitKind, type EmitSizes } from './compiled-cell.js';
export { resolveCellSource } from './cell-files.js';

/**
 * Compiled cells by (file, source), least recently used first. Bounded: a process that compiles many distinct
 * cells (a fuzzer, a search over cell designs) would otherwise keep every one, with its kernels per (X, H).
 */
const cache = new Map<string, CompiledCell>();
const CACHE_CELLS = 256;

export function compileCell(sourceOrPath: string): CompiledCell {
  const { source, file } = resolveCellSource(sourceOrPath);
  return compileSource(source, file);
}

/** Compiles cell source text; `file` is the path shown in messages (its basename names the cell). */
export function compileSource(source: string, file: string): CompiledCell {
  const key = `${file}\0${source}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // most recently used: last in the map's order
    cache.set(key, hit);
    return hit;
  }
  const ir = guardDepth(file, () => parseCell(source, file));
  verify(ir.graph);
  let backward: BackwardIR | undefined;
  const cell: CompiledCell = {
    name: ir.name,
    file,
    ...(ir.doc !== undefined ? { doc: ir.doc } : {}),
    source,
    ir,
    graph: ir.graph,
    states: ir.states,
    params: ir.graph.params,
    get backward() {
      if (!backward) {
        backward = differentiate(ir.graph, ir.states, ir.inputName);
        verify(backward.graph);
      }
      return backward;
    },
    emit: (kind, sizes) => emit(cell, kind, sizes),
  };
  cache.set(key, cell);
  if (cache.size > CACHE_CELLS) cache.delete(cache.keys().next().value!);
  return cell;
}

/** Deeply nested cells exhaust the stack in recursive parsing and code generation: say so, as a user error. */
export function guardDepth<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) throw new CellforgeError(`${file}: the cell is nested too deeply to compile`, undefined, 'split long expressions into named consts');
    throw err;
  }
}

/** A built-in cell by name (`lstm`, `gru`, ...). */
export function builtinCell(name: string): CompiledCell {
  const builtin = builtinSource(name);
  if (!builtin) throw new CellforgeError(`unknown built-in cell '${name}'`, undefined, `built-in cells: ${builtinNames().join(', ')}`);
  return compileSource(builtin.source, builtin.file);
}

/** Display text on one line: control characters (newlines, terminal escapes) shown escaped. */
function printable(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The `#` comment block that heads every listing; each line starts with `#`, whatever the doc or file name hold. */
function header(cell: CompiledCell): string {
  const params = cell.params.map((p) => `${p.name} ${showShape(p.shape)}`).join(', ');
  return [
    `cell ${cell.name} (${cell.file})${cell.doc ? `: ${cell.doc}` : ''}`,
    `input ${cell.ir.inputName} f32[X]; states ${cell.states.map((s) => `${s} f32[H]`).join(', ')}`,
    `params ${params || '(none)'}`,
  ]
    .map((line) => `# ${printable(line)}`)
    .join('\n');
}

function emit(cell: CompiledCell, kind: EmitKind, sizes: EmitSizes = {}): string {
  return guardDepth(cell.file, () => emitText(cell, kind, sizes));
}

function emitText(cell: CompiledCell, kind: EmitKind, sizes: EmitSizes): string {
  const dims = { X: sizes.inputSize ?? 16, H: sizes.hiddenSize ?? 16 };
  switch (kind) {
    case 'wgsl': {
      // Sources do not depend on B or T; B = T = 1 just names a layout for the listing.
      const program = wgslProgram(cell, dims, 1, 1);
      const listing = [...program.kernels].map(([key, src]) => `// ---- kernel ${key}\n${src}`).join('\n\n');
      return `${header(cell)}\n// WGSL kernels specialised to X=${dims.X}, H=${dims.H}; B, T and tensor offsets come from uniforms\n${listing}\n`;
    }
    case 'js': {
      const k = jsKernels(cell, dims);
      return `${header(cell)}\n// js kernels specialised to X=${dims.X}, H=${dims.H}\n${k.forwardSource}\n\n${k.backwardSource}\n`;
    }
    case 'wasm': {
      const program = wasmProgram(cell, dims, relaxedSimd());
      return `${header(cell)}\n;; WebAssembly text specialised to X=${dims.X}, H=${dims.H}; B, T and tensor addresses come from a table per run\n${program.text}\n`;
    }
    case 'c': {
      const source = cProgram(cell, dims).source;
      return `${header(cell).replace(/^# /gm, '// ')}\n// C for the native backend, specialised to X=${dims.X}, H=${dims.H}; B, T and tensor offsets come from a table per run\n${source}`;
    }
    case 'ir':
      return `${header(cell)}\n${printGraph(cell.graph)}\n`;
    case 'backward-ir': {
      const { graph, saved } = cell.backward;
      const list = saved.map((s) => `#   ${s.name} = forward %${s.id} ${showShape(s.shape)}${s.label ? ` (${s.label})` : ''}`);
      const savedText = list.length ? `# saved per step (everything else is recomputed):\n${list.join('\n')}` : '# saved per step: nothing (everything is recomputed)';
      return `${header(cell)}\n${savedText}\n${printGraph(graph)}\n`;
    }
    default:
      throw new CellforgeError(`--emit ${kind} is not available yet: this cellforge has no ${kind} code generator`, undefined, `available: ir, backward-ir, js, wgsl`);
  }
}
