/**
 * Deployment config: limits and defaults, schema (zod 4), cross-field checks,
 * problem texts and loading — one concept per file, this module the public
 * surface the app, the constructs and the CLI import.
 */
export * from './defaults.js';
export {
  configJsonSchema,
  configSchema,
  type DrConfig,
  type DrillAccountConfig,
  type DrillConfig,
  type ExportConfig,
  type LambdaConfig,
  type NetworkConfig,
  type NetworkSetting,
  networkIds,
  type SsmNetworkConfig,
  type PlanConfig,
  type RedisDrConfig,
  type RegionConfig,
  type RetentionConfig,
  type ScheduleConfig,
  type TargetsConfig,
  type VaultConfig,
} from './schema.js';
export { ConfigError, loadConfig, readConfigFile, validateConfig, type ValidateOptions, type ValidationResult } from './load.js';
