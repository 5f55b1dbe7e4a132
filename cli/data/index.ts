// The user's own data as a training task: which command reads which files.
import { CellforgeError } from '../../ir/errors.js';
import type { Task } from '../../runtime/train/task.js';
import { classifyTask, type TokenKind } from './classify.js';
import { charlmTask } from './charlm.js';
import { sequencesTask } from './sequences.js';
import { taggingTask } from './tagging.js';

export const dataKinds = ['classify', 'tagging', 'charlm', 'sequences'] as const;
export type DataKind = (typeof dataKinds)[number];

export interface DataFlags {
  readonly data?: string;
  readonly test?: string;
  readonly textField?: string;
  readonly labelField?: string;
  readonly tokens?: string;
  readonly x?: string;
  readonly y?: string;
  readonly lengths?: string;
  readonly splitSeed?: number;
}

/** Whether these flags name files, i.e. `train <kind>` means the user's data rather than a sample task. */
export function hasDataFlags(f: DataFlags): boolean {
  return f.data !== undefined || f.x !== undefined || f.y !== undefined;
}

function need(command: string, name: string, v: string | undefined, usage: string): string {
  if (v === undefined) throw new CellforgeError(`cellforge ${command}: ${name} is required for your own data`, undefined, `usage: ${usage}`);
  return v;
}

/** Reads and checks the files; returns the task and the lines that say what was read. */
export function userDataTask(kind: DataKind, f: DataFlags, command = 'train'): { task: Task; lines: string[] } {
  const splitSeed = f.splitSeed ?? 0;
  const usage = `cellforge ${command} ${kind === 'sequences' ? 'sequences --x X.npy --y Y.npy [--lengths L.npy]' : `${kind} --data FILE [--test FILE]`}`;
  if (kind === 'sequences') {
    if (f.data !== undefined) throw new CellforgeError(`cellforge ${command}: sequences reads --x and --y, not --data`, undefined, `usage: ${usage}`);
    return sequencesTask({ x: need(command, '--x', f.x, usage), y: need(command, '--y', f.y, usage), ...(f.lengths ? { lengths: f.lengths } : {}), splitSeed });
  }
  if (f.x !== undefined || f.y !== undefined) throw new CellforgeError(`cellforge ${command}: ${kind} reads --data, not --x/--y`, undefined, `usage: ${usage}`);
  const data = need(command, '--data', f.data, usage);
  const test = f.test !== undefined ? { test: f.test } : {};
  if (kind === 'classify') {
    const tokens = (f.tokens ?? 'chars') as TokenKind;
    if (tokens !== 'chars' && tokens !== 'words') throw new CellforgeError(`cellforge ${command}: unknown --tokens '${f.tokens}'`, undefined, 'choose one of: chars, words');
    return classifyTask({ data, ...test, textField: f.textField ?? 'text', labelField: f.labelField ?? 'label', tokens, splitSeed });
  }
  if (kind === 'tagging') return taggingTask({ data, ...test, splitSeed });
  return charlmTask({ data, ...test, splitSeed });
}
