import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../../../lambdas/domain/report/build.js';
import { reportHtml } from '../../../../lambdas/domain/report/render.js';
import { monthOfFacts } from '../../../support/report-facts.js';

/**
 * The report as a person sees it: the HTML opened in the system's Chromium
 * (installed by scripts/setup.sh; puppeteer-core drives it, no browser is
 * downloaded), every chart rendered with a size, no console error, a
 * screenshot kept for review in .tmp/report/, and the page printed to PDF.
 */
const OUT = join(__dirname, '..', '..', '..', '..', '.tmp', 'report');

/** The system browser: REDIS_DR_CHROMIUM, else the first of the usual names on PATH. */
function chromium(): string {
  if (process.env.REDIS_DR_CHROMIUM) return process.env.REDIS_DR_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      return execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // next name
    }
  }
  throw new Error('no Chromium on PATH: npm run setup installs it (Debian: apt-get install chromium), or set REDIS_DR_CHROMIUM');
}

describe('the report in a real browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    browser = await puppeteer.launch({ executablePath: chromium(), headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);
  afterAll(async () => browser?.close());

  it('renders every chart with a size, logs no error, and prints', async () => {
    const html = reportHtml(buildReport(monthOfFacts()));
    const file = join(OUT, 'report.html');
    writeFileSync(file, html);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    // Anything fetched but the page itself would be a dependency on the network: none is allowed.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewport({ width: 900, height: 1200 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((s) => ({ w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height, marks: s.querySelectorAll('rect, line').length })),
    );
    expect(charts).toHaveLength(5);
    for (const c of charts) {
      expect(c.w).toBeGreaterThan(100);
      expect(c.h).toBeGreaterThan(40);
      expect(c.marks).toBeGreaterThan(2);
    }
    // Headings a screen reader navigates by.
    const headings = await page.$$eval('h1, h2', (hs) => hs.map((h) => h.textContent ?? ''));
    expect(headings[0]).toBe('Disaster recovery report: prod');
    expect(headings).toEqual(expect.arrayContaining(['Controls', 'Coverage', 'Alarms']));
    await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(OUT, 'report.pdf'), pdf);
    expect(Buffer.from(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  }, 60_000);

  it('uses the width of a 1,400-pixel window without a horizontal scroll, headline cards first; prints a section a page; has a dark scheme', async () => {
    const html = reportHtml(buildReport(monthOfFacts()));
    const file = join(OUT, 'report-wide.html');
    writeFileSync(file, html);
    const page = await browser.newPage();
    for (const width of [1400, 900]) {
      await page.setViewport({ width, height: 1000 });
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      // Run in the page (as a string: this project's TypeScript has no DOM types).
      const layout = (await page.evaluate(`(() => {
        const cell = document.querySelector('table.controls td');
        return {
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          // Every table fits its container: no table wider than the page's body.
          widest: Math.max(...[...document.querySelectorAll('table')].map((t) => t.getBoundingClientRect().right)),
          body: document.body.getBoundingClientRect().right,
          cards: [...document.querySelectorAll('.card .what')].map((e) => e.textContent),
          // A cache name stays on one line in the controls table (it wrapped onto four in one narrow column).
          cacheCellLines: Math.round((cell.getBoundingClientRect().height - 8) / Number.parseFloat(getComputedStyle(cell).lineHeight)),
        };
      })()`)) as { overflow: number; widest: number; body: number; cards: string[]; cacheCellLines: number };
      expect(layout.overflow, `${width} px`).toBe(0);
      expect(layout.widest, `${width} px`).toBeLessThanOrEqual(layout.body + 1);
      expect(layout.cards).toEqual([
        'controls pass',
        'caches protected',
        'caches within the RPO all period',
        'copies verified',
        'restore drills passed',
        'median RTO',
      ]);
      expect(layout.cacheCellLines, `${width} px`).toBeLessThanOrEqual(2);
    }
    // Wide: the charts of a cache sit two a row.
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const tops = await page.$$eval('#cache-0 ~ .panels > .panel', (ps) => ps.map((p) => Math.round(p.getBoundingClientRect().top)));
    // RPO and DR copies side by side; the vault's next; the drills (six columns) across the whole width.
    expect(tops.length).toBe(4);
    expect(tops[0]).toBe(tops[1]);
    expect(tops[3]).toBeGreaterThan(tops[2]!);
    await page.screenshot({ path: join(OUT, 'report-wide.png') });
    // Print: every cache section starts a page, rows and charts are not cut.
    await page.emulateMediaType('print');
    const print = await page.evaluate(`(() => ({
      section: getComputedStyle(document.querySelector('section.cache')).breakBefore,
      row: getComputedStyle(document.querySelector('tr')).breakInside,
      figure: getComputedStyle(document.querySelector('figure')).breakInside,
    }))()`);
    expect(print).toEqual({ section: 'page', row: 'avoid', figure: 'avoid' });
    // Dark: the reader's scheme is followed.
    await page.emulateMediaType('screen');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(23, 23, 28)');
    await page.close();
  }, 60_000);
});
