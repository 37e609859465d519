/** The catalog: `losses.<name>(options)` factories, plus `get`, `fromConfig` and `list`. */
export * from './regression.js';
export { get, fromConfig, list } from '../core/registry.js';
