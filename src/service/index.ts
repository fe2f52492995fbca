export * from './service';
export * from './role';
