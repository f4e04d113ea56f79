// The data layer's public surface: readers, the model file, weights and the examples (README, "Files it reads").
export { InputError, formatProblem } from './errors';
export type { FileSeam, WriteSeam } from './files';
export { loadAnalysis, formatOf } from './load';
export * from './kinds';
export { MAX_FILE_BYTES } from './files';
export type { LoadedAnalysis } from './load';
export {
  encodeWeights,
  readSafetensors,
  safetensorsMetadata,
  trainedRecordOf,
  writeSafetensors,
  writtenByUnroll,
  type TrainedRecord,
} from './safetensors';
export { checkOutputs } from './outputs';
export type { OutputTarget } from './outputs';
export { readJsonWeights, writeJsonWeights } from './jsonWeights';
export { readCsv } from './csv';
export { readNpy } from './npy';
export { readText } from './text';
export { readJsonData } from './jsonData';
export { parseModelFile } from './modelFile';
export { exampleFiles, exampleSet, EXAMPLE_NAMES, DEFAULT_LAGS } from './examples';
export type { ExampleFile, ExampleName } from './examples';
