// `npm run playground [-- --port N]`: builds the page (web/ → dist-web/) and serves it on http://127.0.0.1:5173.
// The server sends the cross-origin isolation headers the wasm backend's shared memory needs; any static host
// serving dist-web/ with them gets the same page (without them the page trains on WebGPU or plain JavaScript).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISOLATION_HEADERS } from './headers.js';

export const SITE_DIR = fileURLToPath(new URL('../dist-web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Builds the static site into dist-web/ (vite, web/vite.config.ts). */
export async function buildSite(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)) });
}

/**
 * Serves `dir` on host:port (0: a free port); resolves once listening. `isolation: false` leaves out the
 * cross-origin isolation headers, as a plain static host would (tests use it for the page's fallback).
 */
export function serveSite(dir: string, port: number, host = '127.0.0.1', isolation = true): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    // no-cache: with `immutable` on the hashed assets, chromium's workers sometimes failed to start from the cached
    // script (an error event without a message); on 127.0.0.1 fetching it again costs little.
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache', ...(isolation ? ISOLATION_HEADERS : {}) });
    createReadStream(file).pipe(res);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      done({ server, url: `http://${host}:${actual}/` });
    });
  });
}

function portArgument(argv: readonly string[]): number {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  // `npm run playground --port 8080` (without `--`) reaches us as npm's config variable instead.
  const text = i < 0 ? process.env.npm_config_port : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  if (text === undefined || text === '') return 5173;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`cellforge playground: --port ${text}: not a port number (0-65535)`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const port = portArgument(process.argv.slice(2));
  console.log('cellforge playground: building the page…');
  await buildSite();
  try {
    const { url } = await serveSite(SITE_DIR, port);
    console.log(`cellforge playground: serving on ${url}  (Ctrl-C to stop)`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    console.error(`cellforge playground: cannot listen on 127.0.0.1:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (err as Error).message}`);
    console.error('hint: choose another port with --port N');
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
