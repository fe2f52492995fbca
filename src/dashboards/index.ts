export * from './dashboard';
export * from './widget';
