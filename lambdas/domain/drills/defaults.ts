/**
 * Defaults of a drill's verification, declared once: the deployment config
 * (`drill.verify`, through lib/config/defaults.ts) and `redis-dr drill local`
 * read them here. No imports, so the CLI's option definitions may use them.
 */

/** `drill.verify.keyCountTolerancePct` when a plan gives none; `drill local --tolerance-pct` when not given. */
export const DEFAULT_KEY_COUNT_TOLERANCE_PCT = 1;

/** `drill.verify.sampleSize` when a plan gives none; the local drill's sample. */
export const DEFAULT_DRILL_SAMPLE_SIZE = 100;
