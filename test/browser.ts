/**
 * For tests that open pages in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): whether it is there, one way to launch it, and a page that collects
 * every console error, page error and request that leaves the allowed origin.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BrowserContext, Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

/** Why a browser test is skipped, or undefined when Chromium is installed. */
export function noChromium(): string | undefined {
  return fs.existsSync(CHROMIUM)
    ? undefined
    : 'Debian chromium is not installed (bash scripts/setup.sh --test installs it)';
}

/** Headless Chromium with a fresh profile; `close` closes it and removes the profile. */
export async function openBrowser(): Promise<{
  browser: BrowserContext;
  close(): Promise<void>;
}> {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new page, and the list its console errors, uncaught errors and requests to any URL not
 * starting with `allowed` are added to (a test asserts it stays empty).
 */
export async function watchedPage(
  browser: BrowserContext,
  allowed: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(allowed)) problems.push(`request outside ${allowed}: ${r.url()}`);
  });
  return { page, problems };
}
