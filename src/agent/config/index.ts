export * from './config';
export * from './probe';
