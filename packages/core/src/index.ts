export * from './model';
export * from './errors';
export * from './store';
export * from './wire';
export * from './validation';
export * from './manager/index';
export * from './transport/index';
export * from './security/index';
