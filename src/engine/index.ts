// The engine's public surface. Everything else in src/engine is an implementation detail.
export type { SequenceData, SequenceStore, Dataset, ParamSet } from './types';
export { paramShapes, initParams, checkParamShapes } from './params';
export { analyze } from './analyze';
export type { AnalyzeOptions } from './analyze';
export { AnalysisCache } from './cache';
export { Trainer } from './train';
export type { StepReport, EpochReport } from './train';
export { DEFAULT_FLOW_BUDGET } from './analyze';
export { Rng } from './rng';
export { cloneParams } from './params';
export { ENGINE_VERSION } from './version';
export { estimateCost } from './cost';
export type { CostShape, CostEstimate, CostTerm } from './cost';
export { DEFAULT_BATCH_SIZE } from './train';
export { lossBaseline, lossUnit, SMOOTHING_TOTAL } from './baseline';
export type { SequenceSet } from './baseline';
export { byLength, targetStepsOf } from './train';
