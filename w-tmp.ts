import { gemmGflops } from './bench/gemm.js';
for (let i = 0; i < 3; i++) {
  console.log('1t', (await gemmGflops({ size: 512, threads: 1, fma: true, repeats: 9 })).toFixed(1), '2t', (await gemmGflops({ size: 512, threads: 2, fma: true, repeats: 30 })).toFixed(1));
}
