/**
 * docs/images/org-report.png: the organization roll-up page of
 * `npm run demo -- --org` (demo/org.ts: three accounts, one failing a drill,
 * one whose stack is missing), captured with the machine's Chromium through
 * puppeteer-core (no browser is downloaded; REDIS_DR_CHROMIUM names
 * another). `npm run docs:org-picture`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { chromium } from './chromium.js';
import { runOrgDemo } from '../demo/org.js';

const ROOT = join(__dirname, '..');

async function main(): Promise<void> {
  const out = join(ROOT, '.tmp', 'org-picture');
  rmSync(out, { recursive: true, force: true });
  // A fixed time: the picture changes only when the page does.
  await runOrgDemo({ out, say: () => undefined, now: new Date('2026-11-23T06:00:00Z') });
  const browser = await puppeteer.launch({ executablePath: chromium(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1800, deviceScaleFactor: 1 });
    await page.goto(`file://${join(out, 'org-report.html')}`, { waitUntil: 'load' });
    const file = join(ROOT, 'docs', 'images', 'org-report.png');
    // The top of the page: what needs action, the cards and every chart (the accounts' sections follow below).
    await page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1280, height: 1800 } });
    process.stdout.write(`wrote ${file}\n`);
  } finally {
    await browser.close();
  }
}

void main();
