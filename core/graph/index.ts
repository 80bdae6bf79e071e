// The graph model's public surface: what the renderer, engine and command line import.
export * from './attributes';
export * from './catalogue';
export * from './connect';
export * from './dims';
export * from './graph';
export * from './infer';
export * from './order';
export * from './params';
export * from './plan';
export * from './ports';
export * from './validate';
export * from './format/json';
export * from './format/migrate';
export * from './format/project';
export * from './format/preset';
export * from './docs';
export * from './conditions';
