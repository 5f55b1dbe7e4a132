// Export a compiled cell for the engines people scale on: a PyTorch module (.py text) or an ONNX model (bytes).
// Browser-safe: no Node module in this folder (the playground offers both downloads from a page).
export { exportPytorch, torchModule, type PytorchExportOptions } from './pytorch.js';
export { exportOnnx, onnxLowering, ONNX_IR_VERSION, ONNX_OPSET, type OnnxExportOptions } from './onnx.js';
export { exportTargets, nativeStep, type ExportTarget } from './step.js';
export { fitWeights, type WeightLayout, type WeightTensor } from './weights.js';
