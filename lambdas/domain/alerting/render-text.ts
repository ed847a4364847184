/**
 * The page as email and HTTPS webhook subscribers of the alert topic get it:
 * the formatter's subject and text unchanged, naming the runbook. Pure.
 */
import type { Page } from './page.js';

/** What an email subscriber reads. */
export interface TextPage {
  /** The email subject (printable ASCII, at most 99 characters: SNS wants fewer than 100). */
  readonly subject: string;
  /** The body, ending with the runbook line. */
  readonly message: string;
}

/** The text rendering: today's page, as the formatter built it. */
export function renderText(page: Page): TextPage {
  return { subject: page.subject, message: page.message };
}
