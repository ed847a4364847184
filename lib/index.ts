/**
 * The construct library, `redis-dr/cdk`: {@link RedisDr} for your own CDK
 * app, its props type, and the config's validation and JSON Schema (the same
 * zod schema the JSON config file is checked with).
 */
export { RedisDr, RedisDrDrillAccount, RedisDrVault, type RedisDrProps } from './redis-dr.js';
export {
  ConfigError,
  configJsonSchema,
  type DrConfig,
  type DrillConfig,
  type ExportConfig,
  type LambdaConfig,
  type NetworkConfig,
  type PlanConfig,
  type RedisDrConfig,
  type RegionConfig,
  type RetentionConfig,
  type ScheduleConfig,
  type TargetsConfig,
  type ValidationResult,
  validateConfig,
} from './config/index.js';
export { stackNames } from './deployment.js';
export { DrStack, type DrStackProps } from './stacks/dr-stack.js';
export { PrimaryStack, type PrimaryStackProps } from './stacks/primary-stack.js';
export { VaultStack, type VaultStackProps } from './stacks/vault-stack.js';
