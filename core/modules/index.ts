// The modules' public surface: what the runtime, the trainer and the engine import.
export * from './create';
export * from './discriminator';
export * from './encoder';
export * from './generator';
export * from './layers';
export * from './module';
export * from './reconstructor';
export * from './shapes';
export * from './transformer';
export * from './weights';
