// Messages between the page and its worker (web/src/worker.ts): compile requests, training commands, progress.
export type ViewKind = 'ir' | 'backward-ir' | 'wgsl' | 'js' | 'wasm';
export const viewKinds: readonly ViewKind[] = ['ir', 'backward-ir', 'wgsl', 'js', 'wasm'];
export type BackendChoice = 'webgpu' | 'wasm' | 'js';
/** What a trained run can be downloaded as: weights, a probe for `cellforge run`, a PyTorch module, an ONNX model. */
export type ExportKind = 'weights' | 'probe' | 'pytorch' | 'onnx';
export type TaskName = 'adding' | 'copy' | 'charlm' | 'intent' | 'rowmnist';
export const taskNames: readonly TaskName[] = ['adding', 'copy', 'charlm', 'intent', 'rowmnist'];

/** One problem in the cell source; line and column are 1-based, `length` in characters. */
export interface Diagnostic {
  readonly line: number;
  readonly column: number;
  readonly length: number;
  readonly message: string;
  readonly hint?: string;
  /** 'cellforge' for the compiler's own errors, 'typescript' for the type checker's. */
  readonly source: 'cellforge' | 'typescript';
}

export interface TrainSettings {
  readonly task: TaskName;
  readonly hidden: number;
  readonly layers: number;
  readonly lr: number;
  readonly batch: number;
  readonly steps: number;
  readonly seed: number;
  readonly backend: BackendChoice;
}

export type Request =
  | { readonly type: 'compile'; readonly id: number; readonly source: string; readonly file: string; readonly sizes: { X: number; H: number } }
  | { readonly type: 'typecheck'; readonly id: number; readonly source: string }
  | { readonly type: 'tasks'; readonly id: number }
  | { readonly type: 'train'; readonly source: string; readonly file: string; readonly settings: TrainSettings }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'export'; readonly id: number; readonly kind: ExportKind };

export interface StepReport {
  readonly step: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly stepsPerSecond: number;
  readonly seconds: number;
}

export type Reply =
  | { readonly type: 'compiled'; readonly id: number; readonly diagnostics: Diagnostic[]; readonly views: Partial<Record<ViewKind, string>>; readonly cell?: string; readonly ms: number }
  | { readonly type: 'typechecked'; readonly id: number; readonly diagnostics: Diagnostic[] }
  | { readonly type: 'tasks'; readonly id: number; readonly summaries: Record<TaskName, string> }
  | { readonly type: 'started'; readonly backend: BackendChoice; readonly note?: string; readonly metric: string; readonly totalSteps: number; readonly inputSize: number }
  | { readonly type: 'steps'; readonly steps: StepReport[] }
  | { readonly type: 'evaluated'; readonly step: number; readonly loss: number; readonly metric: number; readonly metricText: string }
  | { readonly type: 'flow'; readonly step: number; readonly norms: Record<string, number[]> }
  | { readonly type: 'sample'; readonly step: number; readonly text: string }
  | { readonly type: 'finished'; readonly step: number }
  | { readonly type: 'paused'; readonly step: number }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'exported'; readonly id: number; readonly files: Record<string, Uint8Array>; readonly error?: string };
