// The engine's AssemblyScript kernels, one WebAssembly module (see scripts/wasm.mjs and src/engine/wasm.ts).
export { reserve, spectralRadius, symmetricTopEigenvalue } from './spectral';
export { outerSumNormSq } from './flow';
export { gemm64, gemm32, gemmReserve, demote32, packPanels, columnSums } from './gemm';
export {
  tanhInPlace,
  sigmoidInPlace,
  addTanhInPlace,
  squashRowsInPlace,
  squash32InPlace,
  activationScratch,
  lstmForwardRows,
  lstmBackwardRows,
  layerReserve,
} from './activations';
export { oneHotReserve, oneHotScatter } from './oneHot';
export { lossReserve, softmaxXentRows } from './loss';
export { oneHotAddSums } from './oneHot';
