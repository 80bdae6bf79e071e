// core/api's browser-safe surface: the service interface, its schemas, and the generic
// client and dispatcher. The Node implementation lives in core/engine/service.ts.
export * from './types';
export * from './schemas';
export * from './dispatch';
export * from './reconnect';
export * from './engine-target';
