// The js backend's forward kernel: hoisted input GEMMs, then per step the recurrent GEMMs and fused loops.
import type { Graph } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import type { SavedValue } from '../../autodiff/backward.js';
import { planStep } from '../../plan/step-plan.js';
import { indent, paramBindings, phaseGemms, scratchBuffers, stepTimes } from './common.js';
import { emitPhase } from './fused.js';
import { safeLabel } from '../shared/names.js';
import { makeStorage } from '../shared/storage.js';

/** Steps per input-projection GEMM in inference mode. */
const CHUNK = 64;

export interface ForwardKernelSource {
  readonly source: string;
  /** Hoisted products by forward node id: the runtime keeps them when they are saved for the backward. */
  readonly hoisted: readonly number[];
}

/**
 * Source of `(P, gemmNT, transpose) => forward(T, B, lengths, reverse, X, S, OUT, keep)`. S: the states, [B, H]
 * each, updated in place; OUT [T, B, H]; with `keep`, returns the tape: ST<k> (state k before each step,
 * by time) and the saved values by name (by time).
 */
export function emitForward(graph: Graph, states: readonly string[], dims: Dims, saved: readonly SavedValue[]): ForwardKernelSource {
  const outputs = new Set(graph.outputs.map((o) => o.id));
  const plan = planStep(graph, { hoistInput: true, outputs });
  const storage = makeStorage(graph, plan, dims, states, { state: (k) => ({ array: `S${k}`, byTime: false }), hoistedRow: 'hr' });
  // Training keeps the input projections of the whole sequence (the backward reads them); inference projects
  // CHUNK steps at a time, so its memory does not grow with T (besides the input and the output themselves).
  const rowLines = ['const hr = keep ? bt : (s - s0) * B + b;'];
  const { H, X } = dims;
  const hoisted = graph.nodes.filter((n) => plan.role[n.id] === 'hoisted');
  const lines: string[] = [];
  lines.push(`// forward step of ${safeLabel(graph.name)}: X=${X} H=${H}, ${plan.phaseCount - 1} phase(s) per step`);
  lines.push(paramBindings(graph));
  lines.push(`return function forward(T, B, lengths, reverse, X, S, OUT, keep) {`);
  const body: string[] = [];
  body.push(states.map((_, k) => `const S${k} = S[${k}];`).join('\n'));
  body.push(`const TIME = new Int32Array(B);`);
  body.push(`// input projections hoisted out of the time loop: all T·B rows in one GEMM (inference: CHUNK steps per GEMM)`);
  body.push(`const CH = keep ? T : Math.min(T, ${CHUNK});`);
  body.push(`const XG = keep ? X : new Float32Array(CH * B * ${X});`);
  body.push(`let s0 = 0;`);
  const project = (rows: string) =>
    hoisted.map((n) => `gemmNT(${rows}, ${sizeOf(n.shape, dims)}, ${X}, XG, 0, ${storage(graph.nodes[n.args[0]!]!).array}, HX${n.id}, 0, false);`).join(' ');
  for (const n of hoisted) body.push(`const HX${n.id} = new Float32Array(CH * B * ${sizeOf(n.shape, dims)});`);
  body.push(`if (keep) { ${project('T * B')} }`);
  body.push(scratchBuffers(plan, dims));
  const tape = [...states.map((_, k) => `ST${k}: keep ? new Float32Array(T * B * ${H}) : null`)];
  const savedPerStep = saved.filter((s) => plan.role[s.id] === 'gemm');
  for (const s of saved) {
    if (plan.role[s.id] === 'hoisted') tape.push(`${s.name}: HX${s.id}`);
    else tape.push(`${s.name}: keep ? new Float32Array(T * B * ${sizeOf(s.shape, dims)}) : null`);
  }
  body.push(`const tape = { ${tape.join(', ')} };`);
  body.push(states.map((_, k) => `const ST${k} = tape.ST${k};`).join(' '));
  body.push(savedPerStep.map((s) => `const SV_${s.name} = tape.${s.name};`).join(' '));
  body.push(`for (let s = 0; s < T; s++) {`);
  const step: string[] = [stepTimes(true)];
  if (hoisted.length > 0) {
    step.push(
      [
        `if (!keep && s % CH === 0) {`,
        `  s0 = s;`,
        `  const rows = Math.min(CH, T - s0);`,
        `  for (let q = 0; q < rows; q++) for (let b = 0; b < B; b++) {`,
        `    const len = lengths[b], sq = s0 + q, t = sq < len ? (reverse ? len - 1 - sq : sq) : -1, o = (q * B + b) * ${X};`,
        `    for (let i = 0; i < ${X}; i++) XG[o + i] = t < 0 ? 0 : X[(t * B + b) * ${X} + i];`,
        `  }`,
        `  ${project('rows * B')}`,
        `}`,
      ].join('\n'),
    );
  }
  for (let p = 1; p < plan.phaseCount; p++) {
    step.push(`// phase ${p}`);
    step.push(phaseGemms(plan, p, dims, storage));
    step.push(emitPhase(plan, p, dims, storage, rowLines));
  }
  step.push(`// commit: examples past their length keep their state`);
  const reads = graph.outputs.map((o, k) => {
    const s = storage(graph.nodes[o.id]!);
    return `const n${k} = ${s.array}[${s.index(0)}];`;
  });
  const commit = [
    `for (let b = 0; b < B; b++) {`,
    `  const t = TIME[b]; if (t < 0) continue;`,
    `  const bt = t * B + b;`,
    ...rowLines.map((l) => `  ${l}`),
    `  for (let j = 0; j < ${H}; j++) {`,
    `    ${reads.join(' ')}`,
    // the tape keeps each state as it was before the step
    `    if (keep) { ${graph.outputs.map((_, k) => `ST${k}[bt * ${H} + j] = S${k}[b * ${H} + j];`).join(' ')} }`,
    `    ${graph.outputs.map((_, k) => `S${k}[b * ${H} + j] = n${k};`).join(' ')} OUT[bt * ${H} + j] = n0;`,
    `  }`,
    ...savedPerStep.map((s) => {
      const R = sizeOf(s.shape, dims);
      return `  if (keep) for (let i = 0; i < ${R}; i++) SV_${s.name}[bt * ${R} + i] = M${s.id}[b * ${R} + i];`;
    }),
    `}`,
  ];
  step.push(commit.join('\n'));
  body.push(indent(step.filter(Boolean).join('\n'), 2));
  body.push(`}`);
  body.push(`return tape;`);
  lines.push(indent(body.filter(Boolean).join('\n'), 2));
  lines.push(`};`);
  return { source: lines.join('\n'), hoisted: hoisted.map((n) => n.id) };
}
