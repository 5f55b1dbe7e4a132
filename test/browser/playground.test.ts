// The playground end to end in Debian's chromium: the page loads clean and shows what the compiler made, errors
// appear under the typo as you type, a cell from the URL trains on WebGPU (SwiftShader) and on the wasm fallback,
// and the weights the page downloads give the page's outputs in `cellforge run`.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCell } from '../../compiler/compile.js';
import { readNpy } from '../../runtime/io/npy.js';
import { describeWith } from '../helpers/component.js';
import { chromiumMissing, launch, NO_WEBGPU_ARGS, numberAt, openPage, serveBuilt, startSite, WEBGPU_ARGS, type OpenPage, type Site } from './page.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHOTS = join(ROOT, 'ci-output');

/** A cell of the user's own (not a sample): a GRU without the reset gate, written here and passed in the URL. */
const CUSTOM_CELL = `import { cell, linear, sigmoid, tanh } from 'cellforge/dsl';

/** A minimal gated unit with a tanh candidate. */
export default cell({ state: ['h'] }, (x, { h }) => {
  const [xz, xn] = linear('ih', x, 2);
  const [hz, hn] = linear('hh', h, 2);
  const z = sigmoid(xz + hz);
  const n = tanh(xn + hn);
  return { h: (1 - z) * n + z * h };
});
`;

const runHash = (backend: string) => `#${new URLSearchParams({ cell: CUSTOM_CELL, task: 'adding', hidden: '16', layers: '1', lr: '0.02', batch: '16', steps: '50', seed: '3', backend })}`;

interface RunRecord {
  losses: [number, number][];
}

/** Trains from the URL's settings until step 50 (pausing on the way if asked); returns the page's step losses. */
async function train50(page: Page, screenshot: string, pause = false): Promise<number[]> {
  await page.getByTestId('view-ir').filter({ hasText: 'graph my_cell' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('train').click();
  if (pause) {
    await expect.poll(() => numberAt(page, 'step'), { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(3);
    await page.getByTestId('pause').click();
    await page.waitForTimeout(500);
    const paused = await numberAt(page, 'step');
    await page.waitForTimeout(1000);
    expect(await numberAt(page, 'step')).toBe(paused);
    expect(paused).toBeLessThan(50);
    await page.getByTestId('pause').click(); // now "Resume"
  }
  await expect.poll(() => numberAt(page, 'step'), { timeout: 150_000, interval: 500 }).toBe(50);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, screenshot), fullPage: true });
  const runs = (await page.evaluate(() => (globalThis as unknown as { cellforgePlayground: { runs: RunRecord[] } }).cellforgePlayground.runs.map((r) => r.losses))) as [number, number][][];
  return runs[0]!.map(([, loss]) => loss);
}

/**
 * The command as users run it: `node bin/cellforge.js` (the build CI makes before the tests), or the sources
 * through tsx where nothing is built.
 */
function cellforge(...args: string[]): SpawnSyncReturns<string> {
  const built = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
  const [cmd, pre] = built ? [process.execPath, ['bin/cellforge.js']] : ['npx', ['tsx', 'cli/entry.ts']];
  return spawnSync(cmd, [...pre, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A browser for the tests of the enclosing describe: launched before them, closed after. */
function browserFor(args: readonly string[]): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launch(args);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => browser!;
}

describeWith('chromium', chromiumMissing(), 'playground (chromium)', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
  }, 120_000);
  afterAll(async () => {
    await site?.close();
  });

  describe('with WebGPU (SwiftShader)', () => {
    const browser = browserFor(WEBGPU_ARGS);

    // The first two tests share one page: the editor test starts where the load test leaves it.
    let opened: OpenPage;

    it('loads with no console error and shows the sample cell\'s IR and WGSL, as `cellforge compile --emit` prints them', async () => {
      opened = await openPage(browser(), site.url);
      const { page, errors } = opened;
      await page.getByTestId('view-ir').filter({ hasText: 'graph lstm' }).waitFor({ timeout: 60_000 });
      const lstm = compileCell('lstm');
      expect(await page.getByTestId('view-ir').textContent()).toBe(lstm.emit('ir'));
      expect(await page.getByTestId('view-backward-ir').textContent()).toBe(lstm.emit('backward-ir'));
      expect(await page.getByTestId('view-wgsl').textContent()).toBe(lstm.emit('wgsl'));
      await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 30_000 }).toMatch(/compiled .*; types check/);
      expect(await page.getByTestId('diagnostics').locator('li').count()).toBe(0);
      expect(await page.getByTestId('gpu-note').isHidden()).toBe(true);
      expect(errors).toEqual([]);
    }, 90_000);

    it('underlines a typo at its line within a second, and clears it when fixed', async () => {
      const { page, errors } = opened;
      // Both workers are ready (the type checker has built its program): the timing below is the editor's.
      expect(await page.getByTestId('status').textContent()).toMatch(/types check/);
      // line 7 is `const i = sigmoid(xi + hi);`: add an undefined name before the `);`
      await page.getByTestId('editor').locator('.cm-line').nth(6).click();
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.type(' + hq');
      const t0 = Date.now(); // from the last keystroke
      const item = page.getByTestId('diagnostics').locator('li[data-source="cellforge"]');
      await item.first().waitFor({ timeout: 1000 });
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(await item.first().getAttribute('data-line')).toBe('7');
      expect(await item.first().textContent()).toMatch(/hq/);
      expect(await page.getByTestId('editor').locator('.cm-lintRange-error').count()).toBeGreaterThan(0);
      for (let i = 0; i < ' + hq'.length; i++) await page.keyboard.press('Backspace');
      await expect.poll(() => page.getByTestId('diagnostics').locator('li').count(), { timeout: 1000, interval: 50 }).toBe(0);
      await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toMatch(/compiled .*; types check/);
      expect(errors).toEqual([]);
      await page.close();
    }, 90_000);

    it('trains a cell from the URL 50 steps on `adding` on WebGPU, the loss falls, and `cellforge run` on its weights gives its outputs', async () => {
      const { page, errors } = await openPage(browser(), site.url + runHash('webgpu'));
      const losses = await train50(page, 'playground-webgpu.png');
      expect(await page.getByTestId('backend').textContent()).toBe('webgpu');
      expect(await page.getByTestId('gpu-note').isHidden()).toBe(true);
      expect(mean(losses.slice(-10))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));
      expect(Number(await page.getByTestId('loss').textContent())).toBeCloseTo(losses[49]!, 3);

      const dir = mkdtempSync(join(tmpdir(), 'cellforge-playground-'));
      try {
        const files: Record<string, string> = {};
        page.on('download', async (d) => {
          const path = join(dir, d.suggestedFilename());
          await d.saveAs(path);
          files[d.suggestedFilename()] = path;
        });
        await page.getByTestId('download-weights').click();
        await page.getByTestId('download-probe').click();
        await page.getByTestId('download-pytorch').click();
        await page.getByTestId('download-onnx').click();
        await expect.poll(() => Object.keys(files).sort(), { timeout: 30_000 }).toEqual(['my_cell.onnx', 'my_cell.py', 'my_cell.safetensors', 'probe-input.npy', 'probe-output.npy']);
        expect(readFileSync(files['my_cell.py']!, 'utf8')).toContain('class RNN');
        expect(readFileSync(files['my_cell.onnx']!).length).toBeGreaterThan(1000);
        writeFileSync(join(dir, 'my_cell.cell.ts'), CUSTOM_CELL);
        const r = cellforge('run', join(dir, 'my_cell.cell.ts'), '--weights', files['my_cell.safetensors']!, '--input', files['probe-input.npy']!, '--backend', 'js', '--out', join(dir, 'out'));
        expect(r.status, r.stderr).toBe(0);
        const cliOutput = readNpy(join(dir, 'out', 'output.npy'));
        const pageOutput = readNpy(files['probe-output.npy']!);
        expect(cliOutput.shape).toEqual(pageOutput.shape);
        const worst = Math.max(...Array.from(cliOutput.data as Float32Array, (v, i) => Math.abs(v - (pageOutput.data as Float32Array)[i]!)));
        expect(worst).toBeLessThan(1e-5);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      expect(errors).toEqual([]);
      await page.close();
    }, 240_000);
  });

  describe('without WebGPU', () => {
    const browser = browserFor(NO_WEBGPU_ARGS);

    it('says so in a sentence and trains the same cell 50 steps on the wasm fallback, pausing and resuming on the way; the loss falls; Reset clears the run', async () => {
      const { page, errors } = await openPage(browser(), site.url + runHash('webgpu'));
      await expect.poll(() => page.getByTestId('gpu-note').textContent(), { timeout: 10_000 }).toMatch(/(no WebGPU|no GPU adapter).*train on WebAssembly/);
      const losses = await train50(page, 'playground-wasm.png', true);
      expect(await page.getByTestId('backend').textContent()).toBe('wasm');
      expect(mean(losses.slice(-10))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));
      await page.getByTestId('reset').click();
      await expect.poll(() => page.getByTestId('step').textContent()).toBe('0');
      expect(await page.getByTestId('loss').textContent()).toBe('');
      expect(errors).toEqual([]);
      await page.close();
    }, 180_000);

    it('trains every task of the menu (copy, charlm with sampled text, intent, rowmnist from the shipped subset)', async () => {
      const { page, errors } = await openPage(browser(), `${site.url}#cell=gru&steps=2&hidden=16&batch=8&backend=wasm`);
      await page.getByTestId('view-ir').filter({ hasText: 'graph gru' }).waitFor({ timeout: 60_000 });
      for (const task of ['copy', 'charlm', 'intent', 'rowmnist']) {
        await page.locator('select[name=task]').selectOption(task);
        await page.locator('input[name=steps]').fill('2');
        await page.locator('input[name=hidden]').fill('16');
        await page.getByTestId('train').click();
        await expect.poll(() => numberAt(page, 'step'), { timeout: 60_000, interval: 200 }).toBe(2);
        await expect.poll(() => page.getByTestId('pause').isDisabled(), { timeout: 60_000 }).toBe(true); // finished
        expect(await page.getByTestId('metric').textContent(), task).toMatch(/\d/);
        if (task === 'charlm') expect(await page.locator('#sample').textContent()).toMatch(/^cell A: The lighthouse .{20}/);
      }
      expect(await page.locator('#run-notes').textContent()).toBe('');
      expect(errors).toEqual([]);
      await page.close();
    }, 180_000);

    it('on a host without the isolation headers, says so and trains on plain JavaScript', async () => {
      const plain = await serveBuilt(false);
      try {
        const { page, errors } = await openPage(browser(), plain.url + runHash('webgpu').replace('steps=50', 'steps=5'));
        await expect.poll(() => page.getByTestId('gpu-note').textContent(), { timeout: 10_000 }).toMatch(/plain JavaScript .*cross-origin isolated/);
        await page.getByTestId('view-ir').filter({ hasText: 'graph my_cell' }).waitFor({ timeout: 60_000 });
        await page.getByTestId('train').click();
        await expect.poll(() => numberAt(page, 'step'), { timeout: 60_000, interval: 200 }).toBe(5);
        expect(await page.getByTestId('backend').textContent()).toBe('js');
        expect(await page.locator('#run-notes').textContent()).toMatch(/not cross-origin isolated.*plain JavaScript/);
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        await plain.close();
      }
    }, 120_000);
  });
});
