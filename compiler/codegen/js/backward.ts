// The js backend's backward kernel: per step (last to first) the fused VJP loops and the dh GEMM; weight and
// input gradients as one GEMM each over all T·B rows after the loop.
import { invariant } from '../../../ir/errors.js';
import type { Graph, Node } from '../../../ir/graph.js';
import { sizeOf, type Dims } from '../../../ir/shape.js';
import { deferredProducts } from '../../plan/deferred.js';
import { planStep, unsupported, type StepPlan } from '../../plan/step-plan.js';
import { indent, paramBindings, phaseGemms, scratchBuffers, stepTimes, transposedParams } from './common.js';
import type { Storage } from '../shared/phase-body.js';
import { emitPhase } from './fused.js';
import { safeLabel } from '../shared/names.js';
import { makeStorage } from '../shared/storage.js';

/**
 * Source of `(P, gemmNT, transpose) => backward(T, B, lengths, reverse, truncate, X, GOUT, C, tape, GP, DX)`.
 * C: the carried state cotangents [B, H] (in: of the final states; out: of the initial states); GP: one
 * zeroed accumulator per parameter; DX: the zeroed input cotangent [T, B, X].
 */
export function emitBackward(graph: Graph, states: readonly string[], inputName: string, dims: Dims): string {
  const outputs = new Map(graph.outputs.map((o) => [o.name, o.id]));
  const plan = planStep(graph, { hoistInput: false, outputs: new Set(outputs.values()) });
  const storage = makeStorage(graph, plan, dims, states, {
    state: (k) => ({ array: `ST${k}`, byTime: true }),
    grad: (k) => `C${k}`,
    saved: (name) => `SV_${name}`,
  });
  const { H } = dims;
  const savedNames = graph.nodes.filter((n) => n.op === 'saved').map((n) => String(n.attrs.name));
  const body: string[] = [];
  body.push(states.map((_, k) => `const C${k} = C[${k}], ST${k} = tape.ST${k};`).join('\n'));
  body.push(savedNames.map((name) => `const SV_${name} = tape.${name};`).join('\n'));
  body.push(graph.params.map((_, i) => `const GP${i} = GP[${i}];`).join('\n'));
  body.push(`const TIME = new Int32Array(B);`);
  body.push(transposedParams(graph, dims, storage));
  body.push(scratchBuffers(plan, dims));
  for (const id of plan.perTime) body.push(`const PT${id} = new Float32Array(T * B * ${sizeOf(graph.nodes[id]!.shape, dims)});`);
  body.push(`for (let s = T - 1; s >= 0; s--) {`);
  const step: string[] = [stepTimes(false)];
  step.push(`// truncated BPTT: an example's cotangent does not cross the start of one of its k-step chunks`);
  step.push(`if (truncate > 0 && (s + 1) % truncate === 0) for (let b = 0; b < B; b++) if (s + 1 < lengths[b]) { ${states.map((_, k) => `C${k}.fill(0, b * ${H}, (b + 1) * ${H});`).join(' ')} }`);
  step.push(`for (let b = 0; b < B; b++) { const t = TIME[b]; if (t < 0) continue; const o = (t * B + b) * ${H}; for (let j = 0; j < ${H}; j++) C0[b * ${H} + j] += GOUT[o + j]; }`);
  for (let p = 1; p < plan.phaseCount; p++) {
    step.push(`// phase ${p}`);
    step.push(phaseGemms(plan, p, dims, storage));
    step.push(emitPhase(plan, p, dims, storage));
  }
  step.push(commit(graph, plan, dims, storage, states, outputs));
  body.push(indent(step.filter(Boolean).join('\n'), 2));
  body.push(`}`);
  body.push(`// weight and input gradients: one GEMM each over all T·B rows`);
  body.push(deferred(graph, plan, dims, storage, inputName));
  return [
    `// backward step of ${safeLabel(graph.name)}: X=${dims.X} H=${H}, ${plan.phaseCount - 1} phase(s) per step`,
    paramBindings(graph),
    `return function backward(T, B, lengths, reverse, truncate, X, GOUT, C, tape, GP, DX) {`,
    indent(body.filter(Boolean).join('\n'), 2),
    `};`,
  ].join('\n');
}

function rowBase(storage: Storage, n: Node): { array: string; base: string } {
  const s = storage(n);
  return { array: s.array, base: s.index(0).replace(/ \+ j$/, '').replace(/^j$/, '0') };
}

function commit(graph: Graph, plan: StepPlan, dims: Dims, storage: Storage, states: readonly string[], outputs: Map<string, number>): string {
  const { H } = dims;
  const lines = [`for (let b = 0; b < B; b++) {`, `  const t = TIME[b]; if (t < 0) continue;`, `  const bt = t * B + b;`];
  const reads = states.map((st, k) => {
    const s = storage(graph.nodes[outputs.get(`d.${st}`)!]!);
    return `const n${k} = ${s.array}[${s.index(0)}];`;
  });
  // Parameter-gradient and per-time copies first: they may read a grad leaf C_k that the state writes replace.
  graph.params.forEach((p, i) => {
    const n = graph.nodes[outputs.get(`d.${p.name}`)!]!;
    if (plan.role[n.id] === 'deferred') return;
    const { array, base } = rowBase(storage, n);
    lines.push(`  { const base = ${base}; for (let i = 0; i < ${sizeOf(p.shape, dims)}; i++) GP${i}[i] += ${array}[base + i]; }`);
  });
  for (const id of plan.perTime) {
    const n = graph.nodes[id]!;
    const size = sizeOf(n.shape, dims);
    const { array, base } = rowBase(storage, n);
    lines.push(`  { const base = ${base}; for (let i = 0; i < ${size}; i++) PT${id}[bt * ${size} + i] = ${array}[base + i]; }`);
  }
  lines.push(`  for (let j = 0; j < ${H}; j++) { ${reads.join(' ')} ${states.map((_, k) => `C${k}[b * ${H} + j] = n${k};`).join(' ')} }`);
  lines.push(`}`);
  return lines.join('\n');
}

function deferred(graph: Graph, plan: StepPlan, dims: Dims, storage: Storage, inputName: string): string {
  const lines: string[] = [];
  const byTime = (n: Node): string => {
    if (n.op === 'input') return 'X';
    if (plan.perTime.has(n.id)) return `PT${n.id}`;
    invariant(n.op === 'state' || n.op === 'saved', `deferred operand %${n.id} is not stored by time`);
    return storage(n).array;
  };
  for (const { op, a, b, target } of deferredProducts(plan, inputName, graph.params)) {
    if (op === 'outer') {
      // Σ_rows g ⊗ v = Gᵀ·V: both sides transposed so the product runs as rows against rows.
      const [M, N] = [sizeOf(a.shape, dims), sizeOf(b.shape, dims)];
      lines.push(`gemmNT(${M}, ${N}, T * B, transpose(${byTime(a)}, T * B, ${M}), 0, transpose(${byTime(b)}, T * B, ${N}), ${target}, 0, true);`);
    } else {
      lines.push(`gemmNT(T * B, ${sizeOf([a.shape[1]!], dims)}, ${sizeOf([a.shape[0]!], dims)}, ${byTime(b)}, 0, ${storage(a).array}t, ${target}, 0, true);`);
    }
  }
  return lines.join('\n');
}
