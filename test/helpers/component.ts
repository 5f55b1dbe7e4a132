/**
 * Tests that need a component of the machine (Python with torch, chromium, a C compiler, ...).
 *
 * They never pass by skipping silently:
 * - in CI (`CI` set) every such test FAILS with the reason the component is missing;
 * - locally they are skipped, and "<component> tests skipped: <reason>" is printed once per component.
 *
 *   const python = findTorchPython();                       // null or a reason string when missing
 *   describeWith('torch', python.reason, () => { it('exports', () => { ... }); });
 *   testWith('chromium', chromiumMissing, 'page loads', async () => { ... });
 */
import { beforeEach, describe, test } from 'vitest';

/** CI as most CI systems set it ("true", "1", ...); "false"/"0"/"" mean not CI. */
export const inCI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

const warned = new Set<string>();
function warnSkipped(component: string, reason: string): void {
  if (warned.has(component)) return;
  warned.add(component);
  console.warn(`${component} tests skipped: ${reason}`);
}

/** A suite that needs `component`; `missing` is null when it is there, else why it is not. */
export function describeWith(component: string, missing: string | null, name: string, fn: () => void): void {
  if (missing === null) {
    describe(name, fn);
  } else if (inCI) {
    describe(name, () => {
      // beforeEach (not beforeAll) so that every test of the suite is reported as failed, with the reason.
      beforeEach(() => {
        throw new Error(`${component} test cannot run in CI: ${missing}`);
      });
      fn();
    });
  } else {
    warnSkipped(component, missing);
    describe.skip(name, fn);
  }
}

/** One test that needs `component`; `missing` is null when it is there, else why it is not. */
export function testWith(component: string, missing: string | null, name: string, fn: () => unknown, timeout?: number): void {
  if (missing === null) test(name, fn, timeout);
  else if (inCI)
    test(name, () => {
      throw new Error(`${component} test cannot run in CI: ${missing}`);
    });
  else {
    warnSkipped(component, missing);
    test.skip(name, fn, timeout);
  }
}
