/**
 * Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the browser tests and the dashboard
 * benchmark: a fresh profile per launch, and every console error and page error of a page collected.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null. In CI they must run: a missing browser is a failure there. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing in CI; .ci/run installs it with apt-get install -y chromium`);
  return `${CHROMIUM} not found: install it with \`apt-get update && apt-get install -y chromium\` to run the browser tests`;
}

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'calibloop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', ...FLAGS], viewport: { width: 1360, height: 900 } });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors, failed requests and uncaught exceptions of a page, as text lines. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${page.url()})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message} (${page.url()})`));
  return errors;
}
