// Vite build of the playground (web/): `npm run build:web` writes the static site to dist-web/ with relative
// paths, so any static host serves it from any folder.
//
// The page runs the same compiler and runtime as Node. The few modules that reach for Node (files of the package,
// worker threads, V8 flags) are swapped here for their page versions in web/shims/, the way a package's
// "browser" field would: everything else is bundled unchanged.
import { fileURLToPath } from 'node:url';
import { createLogger, defineConfig, type Plugin } from 'vite';
import { ISOLATION_HEADERS } from './headers.js';
import { rowMnistSubset } from './rowmnist-plugin.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));


/** Modules of the package (path from the repository root) → their page versions in web/shims. */
const SHIMS: Record<string, string> = {
  'compiler/cell-files.ts': 'cell-files.ts',
  'compiler/codegen/wasm/v8-flags.ts': 'v8-flags.ts',
  'runtime/wasm/pool.ts': 'wasm-pool.ts',
  'samples/tasks/util.ts': 'task-util.ts',
  'runtime/machine.ts': 'machine.ts',
};
const root = here('..');

/** Swaps a resolved module for its page version, whatever relative path imported it. */
function pageShims(): Plugin {
  return {
    name: 'cellforge-page-shims',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      // A shim may import the module it stands in for (to re-export the rest of it).
      if (!importer || !source.startsWith('.') || importer.startsWith(here('./shims/'))) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const file = resolved && SHIMS[resolved.id.startsWith(root) ? resolved.id.slice(root.length) : ''];
      return file ? here(`./shims/${file}`) : resolved;
    },
  };
}

export default defineConfig({
  root: here('.'),
  base: './',
  plugins: [pageShims(), rowMnistSubset()],
  worker: { format: 'es', plugins: () => [pageShims(), rowMnistSubset()] },
  build: {
    outDir: here('../dist-web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
    reportCompressedSize: false,
  },
  // The wasm backend's memory is a shared WebAssembly.Memory: it needs a cross-origin isolated page.
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  customLogger: quietLogger(),
});

/**
 * Vite's logger without the notes it prints for every Node module left out of the page (known and harmless: the
 * Node-only paths of wabt, TypeScript and the files modules are never called in a page) and plugin timings.
 */
function quietLogger() {
  const logger = createLogger('warn');
  const warn = logger.warn.bind(logger);
  logger.warn = (msg, options) => {
    if (!process.env.CELLFORGE_WEB_VERBOSE && /externalized for browser compatibility|PLUGIN_TIMINGS|INEFFECTIVE_DYNAMIC_IMPORT/.test(msg)) return;
    warn(msg, options);
  };
  return logger;
}
