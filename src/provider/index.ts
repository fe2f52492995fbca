export * from './provider';
export * from './resource-options';
