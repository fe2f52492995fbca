export * from './service';
export * from './role';
export * from './metadata';
