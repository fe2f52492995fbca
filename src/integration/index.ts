export * from './aws-integration';
export * from './aws-integration-service';
