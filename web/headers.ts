// The response headers the page needs from its host: cross-origin isolation, for the wasm backend's shared
// WebAssembly.Memory (SharedArrayBuffer). Without them the page still runs, training on WebGPU or plain JavaScript.
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } as const;
