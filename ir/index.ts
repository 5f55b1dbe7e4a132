// The IR: shapes, graphs, the op table, the builder, the printer and the verifier.
export * from './errors.js';
export * from './shape.js';
export * from './graph.js';
export * from './ops.js';
export * from './value.js';
export * from './builder.js';
export * from './print.js';
export * from './verify.js';
