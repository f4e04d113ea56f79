export * from './kinds';
export * from './result';
export * from './messages';
export * from './json';
export * from './summary';
export * from './glossary';
export * from './trace';
