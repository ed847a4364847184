/**
 * Pages: the one place their subject line and SNS attributes are built, for
 * the alert formatter, verify-rdb's corrupt-copy page and the drill report.
 * Every page names its kind, its severity, the deployment and the region.
 * Pure.
 */
import type { AlertSeverity, PageKind } from './catalog.js';

/** String attributes for SNS subscription filter policies. */
export interface AlertAttributes {
  readonly kind: PageKind;
  readonly severity: AlertSeverity;
  readonly region: string;
  readonly deployment: string;
  readonly plan?: string;
  readonly target?: string;
  readonly alarm?: string;
  readonly bucket?: string;
  /** Drill reports: `passed`, `passed-over-rto` or `failed`. */
  readonly outcome?: string;
  /** Drill reports: `primary` or `dr`. */
  readonly where?: string;
  /** Drill reports: what happened to the drill cluster. */
  readonly cleanup?: string;
}

/** A page ready to publish. */
export interface Page {
  /** Printable ASCII, at most {@link MAX_SUBJECT} characters (SNS email subjects). */
  readonly subject: string;
  /** Multi-line text for a person. */
  readonly message: string;
  readonly attributes: AlertAttributes;
}

/**
 * SNS subjects "must be ... less than 100 characters long" (SNS API reference, Publish, `Subject`): at most 99.
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export const MAX_SUBJECT = 99;

/** `[SEVERITY] redis-dr <deployment>: <title>[ - <scope>] <region>`, ASCII, at most {@link MAX_SUBJECT} characters. */
export function pageSubject(severity: AlertSeverity, deployment: string, title: string, scope: string | undefined, region: string): string {
  return ascii(`[${severity.toUpperCase()}] redis-dr ${deployment}: ${title}${scope ? ` - ${scope}` : ''} ${region}`);
}

/** Attributes without empty values (SNS rejects empty strings). */
export function pageAttributes(attributes: AlertAttributes): AlertAttributes {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => typeof v === 'string' && v !== '')) as unknown as AlertAttributes;
}

/** Printable ASCII, at most {@link MAX_SUBJECT} characters. */
export function ascii(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > MAX_SUBJECT ? `${clean.slice(0, MAX_SUBJECT - 3)}...` : clean;
}
