export * from './schema';
export * from './store';
export * from './import';
export * from './target';
