/**
 * What every integration's rendering of a page shares: whether the page
 * resolves an alarm, the key that ties an ALARM to its OK in the on-call
 * tools, the runbook as a link, and the first steps from the catalog. Pure.
 */
import { createHash } from 'node:crypto';
import { ALARM_KINDS, type AlarmKindName, type PageKind, runbookOf } from './catalog.js';
import type { Page } from './page.js';

/** Where runbooks are rendered as links (the formatter's `runbookBaseUrl`). */
export interface RenderContext {
  /** e.g. `https://github.com/acme/redis-dr/blob/main`; without it runbooks are repository paths. */
  readonly runbookBaseUrl?: string;
}

/** A page of severity `ok` is an alarm back to OK: the on-call tools resolve or close. */
export function isResolved(page: Page): boolean {
  return page.attributes.severity === 'ok';
}

/** A page that needs no action (a passed drill, the selftest TEST page, the DR report). */
export function isInformational(page: Page): boolean {
  return page.attributes.severity === 'info';
}

/** PagerDuty's dedup_key and Opsgenie's alias allow at most 255 and 512 characters: the shorter wins. */
export const MAX_PAGE_KEY = 255;

/**
 * The key an alarm's ALARM and OK pages share: `redis-dr/<deployment>/<region>/<alarm>`.
 * The region is part of it because both regions have alarms of the same name:
 * the DR region's OK must not resolve the primary's incident. Pages without an
 * alarm (a failed execution, a drill report) are keyed by kind and scope; a page
 * of kind `unknown` (an event the formatter does not know) also by a digest of its text: two different ones must not be one
 * incident, where PagerDuty and Opsgenie would fold the second into the first
 * open one without notifying anyone (the same page delivered again still is one).
 */
export function pageKey(page: Page): string {
  const a = page.attributes;
  const digest = a.kind === 'unknown' ? createHash('sha256').update(`${page.subject}\n${page.message}`).digest('hex').slice(0, 16) : undefined;
  const what = a.alarm ?? [a.kind, a.plan, a.target, digest].filter((p) => p !== undefined && p !== '').join('/');
  const key = `redis-dr/${a.deployment}/${a.region}/${what}`;
  return key.length > MAX_PAGE_KEY ? key.slice(0, MAX_PAGE_KEY) : key;
}

/** A runbook path as a link under `base` (an absolute URL is kept). */
export function runbookLink(path: string, base: string | undefined): string {
  if (!base || /^https?:\/\//.test(path)) return path;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** The page kind's runbook, as a link when `runbookBaseUrl` is given, else its repository path. */
export function pageRunbook(page: Page, ctx: RenderContext): string {
  return runbookLink(runbookOf(page.attributes.kind), ctx.runbookBaseUrl);
}

/** The runbook as an absolute http(s) URL, or `undefined` when only a repository path is known. */
export function runbookUrl(page: Page, ctx: RenderContext): string | undefined {
  const link = pageRunbook(page, ctx);
  return /^https?:\/\//.test(link) ? link : undefined;
}

/** The catalog's first steps for an alarm kind; `undefined` for other pages. */
export function firstSteps(kind: PageKind): string | undefined {
  return kind in ALARM_KINDS ? ALARM_KINDS[kind as AlarmKindName].doc.firstSteps : undefined;
}

/** The page's subject without its `[SEVERITY] ` prefix (the tools show severity their own way). */
export function headline(page: Page): string {
  return page.subject.replace(/^\[[A-Z]+\]\s*/, '');
}

/** `text` cut to `max` characters, ending in `...` when cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
