// The message of the CellforgeError a call throws (fails the test when it throws nothing or something else).
import { expect } from 'vitest';
import { CellforgeError } from '../../ir/errors.js';

export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CellforgeError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}
