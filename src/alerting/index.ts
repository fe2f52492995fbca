export * from './interfaces';
export * from './channel';
export * from './notification-group';
export * from './alert-group-setting';
export * from './downtime-recurrence';
export * from './downtime';
export * from './deployment-downtime';
export * from './role-monitoring';
