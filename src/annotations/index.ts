export * from './deployment-annotation';
