/**
 * docs/images/page-slack.png: the chat page of a catalog kind as a Slack
 * channel would show it, rendered locally (scripts/chat-page-html.ts) from
 * exactly what the page router publishes to the chat topic, and captured with
 * the machine's Chromium through puppeteer-core (no browser is downloaded;
 * REDIS_DR_CHROMIUM names another). `npm run docs:chat-picture`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { chromium } from './chromium.js';
import type { ChatbotNotification } from '../lambdas/domain/alerting/render-chatbot.js';
import { renderSample } from '../lambdas/jobs/alerting/sample-page.js';
import { chatPageHtml } from './chat-page-html.js';

const ROOT = join(__dirname, '..');
/** The sample docs/alerts.md shows (the same command is printed there). */
const SAMPLE = { kind: 'recovery-point-age', format: 'chatbot', state: 'alarm', deployment: 'example', region: 'eu-west-1' } as const;
const RUNBOOK_BASE_URL = 'https://github.com/acme/redis-dr/blob/main';

async function main(): Promise<void> {
  const notification = JSON.parse(renderSample({ ...SAMPLE, runbookBaseUrl: RUNBOOK_BASE_URL }).body) as ChatbotNotification;
  const html = chatPageHtml(notification, {
    channel: 'oncall-redis',
    time: '10:00 AM',
    note: 'Local rendering of the Amazon Q Developer custom notification redis-dr publishes (redis-dr page --sample recovery-point-age --format chatbot), laid out as a Slack message: not a screenshot of Slack.',
  });
  const tmp = join(ROOT, '.tmp', 'chat-picture');
  mkdirSync(tmp, { recursive: true });
  const file = join(tmp, 'page-slack.html');
  writeFileSync(file, html);
  const browser = await puppeteer.launch({ executablePath: chromium(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 860, height: 400, deviceScaleFactor: 1 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const out = join(ROOT, 'docs', 'images', 'page-slack.png');
    await page.screenshot({ path: out, fullPage: true });
    process.stdout.write(`wrote ${out}\n`);
  } finally {
    await browser.close();
  }
}

void main();
