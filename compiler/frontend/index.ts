// The cell language frontend: .cell.ts source → step IR.
export { parseCell, cellName, type CellIR } from './parse.js';
export { builtins, type Builtin } from './builtins.js';
