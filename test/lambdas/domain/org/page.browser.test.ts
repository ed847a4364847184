import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOrgDemo } from '../../../../demo/org.js';
import { chromium } from '../../../../scripts/chromium.js';

/**
 * The organization page as a person sees it: the org demo's page
 * (demo/org.ts) opened in the system's Chromium through puppeteer-core,
 * every chart drawn with a size, nothing fetched, no console error, what
 * needs action above the figures; a screenshot kept in .tmp/org/.
 */
const OUT = join(__dirname, '..', '..', '..', '..', '.tmp', 'org');

describe('the org page in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    browser = await puppeteer.launch({ executablePath: chromium(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => browser?.close());

  it('renders a chart per figure with a size, logs no error, fetches nothing, and puts what needs action first', async () => {
    await runOrgDemo({ out: OUT, say: () => undefined, now: new Date('2026-11-23T06:00:00Z') });
    const file = join(OUT, 'org-report.html');
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((s) => ({ w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height, marks: s.querySelectorAll('rect, line').length })),
    );
    expect(charts).toHaveLength(7);
    for (const c of charts) {
      expect(c.w).toBeGreaterThan(100);
      expect(c.h).toBeGreaterThan(20);
      expect(c.marks).toBeGreaterThan(0);
    }
    const layout = (await page.evaluate(`(() => ({
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      needs: document.querySelector('#needs-action').getBoundingClientRect().top,
      cards: document.querySelector('.cards').getBoundingClientRect().top,
      items: [...document.querySelectorAll('ul.needs li')].map((l) => l.textContent.split(' ')[0]),
      openAccounts: [...document.querySelectorAll('section.account details[open] h2')].map((h) => h.id),
    }))()`)) as { overflow: number; needs: number; cards: number; items: string[]; openAccounts: string[] };
    expect(layout.overflow).toBe(0);
    expect(layout.needs).toBeLessThan(layout.cards);
    expect(layout.items).toEqual(['MISSING', 'FAIL']);
    expect(layout.openAccounts).toEqual(['account-222222222222', 'account-333333333333']);
    await page.screenshot({ path: join(OUT, 'org-report.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  }, 60_000);
});
