export * from './api-key';
export * from './agent';
export * from './provider';
export * from './service';
export * from './monitors';
export * from './alerting';
export * from './integration';
export * from './annotations';
