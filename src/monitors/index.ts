export * from './enums';
export * from './scope';
export * from './monitor-base';
