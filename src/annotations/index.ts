export * from './deployment-annotation';
export * from './task-stop-annotations';
