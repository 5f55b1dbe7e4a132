// Backend choice: by name, or `auto` (the fastest one available here).
import type { CompiledCell } from '../compiler/compile.js';
import { CellforgeError } from '../ir/errors.js';
import type { SequenceBackend } from './backend.js';
import { jsBackend } from './js/backend.js';
import { referenceBackend } from './reference/backend.js';

export type BackendName = 'reference' | 'js' | 'wasm' | 'webgpu' | 'auto';
export const backendNames: readonly BackendName[] = ['reference', 'js', 'wasm', 'webgpu', 'auto'];

const factories: Partial<Record<Exclude<BackendName, 'auto'>, (cell: CompiledCell) => SequenceBackend>> = {
  reference: referenceBackend,
  js: jsBackend,
};

/** `auto` prefers webgpu, then wasm, then js; today only those registered above exist. */
const autoOrder: readonly Exclude<BackendName, 'auto'>[] = ['webgpu', 'wasm', 'js', 'reference'];

export function createBackend(name: BackendName, cell: CompiledCell): SequenceBackend {
  if (!backendNames.includes(name)) {
    throw new CellforgeError(`unknown backend '${name}'`, undefined, `backends: ${backendNames.join(', ')}`);
  }
  const chosen = name === 'auto' ? autoOrder.find((n) => factories[n]) : name;
  const factory = chosen && factories[chosen];
  if (!factory) {
    const have = Object.keys(factories).join(', ');
    throw new CellforgeError(`backend '${name}' is not available in this version of cellforge`, undefined, `available backends: ${have}, auto`);
  }
  return factory(cell);
}
