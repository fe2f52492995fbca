export * from './config';
export * from './probe';
export * from './location';
