/**
 * The machine's Chromium, for the pictures in docs/images and the browser
 * tests (puppeteer-core drives it; no browser is downloaded): REDIS_DR_CHROMIUM,
 * else the first of the usual names on PATH (npm run setup installs it).
 */
import { execFileSync } from 'node:child_process';

/** The path of the system browser. @throws naming how to install one when there is none */
export function chromium(): string {
  if (process.env.REDIS_DR_CHROMIUM) return process.env.REDIS_DR_CHROMIUM;
  try {
    return execFileSync('bash', ['-c', 'command -v chromium || command -v chromium-browser || command -v google-chrome || command -v google-chrome-stable'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error('no Chromium on PATH: npm run setup installs it (Debian: apt-get install chromium), or set REDIS_DR_CHROMIUM');
  }
}
