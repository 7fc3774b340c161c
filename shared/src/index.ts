export * from './errors.ts';
export * from './states.ts';
export * from './slug.ts';
export * from './runtime.ts';
export * from './jobs.ts';
export * from './protocol.ts';
export * from './api.ts';
