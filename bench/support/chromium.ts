import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/**
 * The system Chromium through playwright-core, as the browser suite drives it
 * (test/browser/support/browser.ts, which the bench may not import): never a downloaded browser,
 * offline-safe flags. CHROMIUM_PATH overrides where it is.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_HOW_TO_INSTALL = 'apt-get install -y chromium';

/** Why Chromium cannot run here, or null when it can. */
export function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM_PATH)) {
    return `Chromium not found at ${CHROMIUM_PATH} (${CHROMIUM_HOW_TO_INSTALL}, or set CHROMIUM_PATH)`;
  }
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (a devDependency: npm ci)';
  }
  return null;
}

export async function launchChromium(): Promise<Browser> {
  // Loaded here, not at the top: a checkout without playwright-core still runs the other sections.
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
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
}
