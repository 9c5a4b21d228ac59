export * from './errors.js';
export * from './value.js';
