export { configSchema, type LookspanConfig, type LookspanConfigInput } from './schema.js';
export { loadConfig, validateConfig, substituteEnv, ConfigError, type LoadOptions } from './load.js';
