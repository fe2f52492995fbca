export * from './enums';
export * from './image';
export * from './options';
export * from './container-agent';
export * from './extension';
export * from './instrumentation';
export * from './config';
