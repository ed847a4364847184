/**
 * The integrations `redis-dr page --sample` renders for, in the order `--format` lists them: a module of its own,
 * importing nothing, so the CLI's command definition names them without loading the renderers
 * (lambdas/jobs/alerting/sample-page.ts) at every command's start.
 */
export const PAGE_FORMATS = ['text', 'chatbot', 'pagerduty', 'opsgenie'] as const;
/** One format. */
export type PageFormat = (typeof PAGE_FORMATS)[number];
