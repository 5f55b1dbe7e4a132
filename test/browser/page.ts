// Shared by the playground's browser tests: the site built once per test run, served on a free port, and Debian's
// chromium driven by playwright-core (no browser download; CHROMIUM names another executable).
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { buildSite, serveSite, SITE_DIR } from '../../web/serve.js';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Null when chromium is here, else why the tests cannot run. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no chromium at ${CHROMIUM} (set CHROMIUM, or apt-get install chromium)`;
}

const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
/**
 * WebGPU, on SwiftShader when the machine has no GPU (compute shaders on the CPU). Checked with Debian's chromium
 * here, running as root: this flag alone gives the adapter (vendor google, architecture swiftshader);
 * --enable-features=Vulkan and --use-webgpu-adapter=swiftshader change nothing.
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];
/** Without the flag headless Linux chromium finds no adapter; disabling the feature makes sure. */
export const NO_WEBGPU_ARGS = ['--disable-features=WebGPU'];

export interface Site {
  readonly url: string;
  close(): Promise<void>;
}

/** Builds dist-web/ (once per test file) and serves it on 127.0.0.1, on a free port. */
export async function startSite(): Promise<Site> {
  await buildSite();
  return serveBuilt(true);
}

/** Serves the built dist-web/ on a free port, with or without the cross-origin isolation headers. */
export async function serveBuilt(isolation: boolean): Promise<Site> {
  const { server, url } = await serveSite(SITE_DIR, 0, '127.0.0.1', isolation);
  return { url, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}

export function launch(extraArgs: readonly string[]): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...extraArgs], headless: true });
}

export interface OpenPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far. */
  readonly errors: string[];
}

export async function openPage(browser: Browser, url: string): Promise<OpenPage> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, context, errors };
}

/** A number shown in an element (step, loss). */
export async function numberAt(page: Page, testid: string): Promise<number> {
  return Number(await page.getByTestId(testid).textContent());
}
