// cellforge's public library interface (DESIGN.md, "Public interfaces").
export { compileCell, builtinCell, type CompiledCell, type EmitKind } from './compiler/compile.js';
export { builtinNames } from './compiler/builtins.js';
export { RNN, type RNNOptions, type ForwardOptions, type ForwardResult, type BackwardOptions, type BackwardResult } from './runtime/rnn.js';
export { tensor, zeros, type Tensor, type TensorData } from './runtime/tensor.js';
export { CellforgeError } from './ir/errors.js';
export type { MergeMode } from './runtime/merge.js';
export type { BackendName } from './runtime/backends.js';
export { printGraph } from './ir/print.js';
export { exportOnnx, exportPytorch, type OnnxExportOptions, type PytorchExportOptions } from './compiler/export/index.js';
