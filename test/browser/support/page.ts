// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { REPO_ROOT } from './server';

/** Cleared once per run by global-setup.js; every spec writes its own file names into it. */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');
/** Where the page keeps a pasted token (sessionStorage: per tab, gone when the tab closes). */
export const TOKEN_STORAGE_KEY = 'emr.accessToken';

/**
 * The document's CSP is replaced by the strictest one the page is meant to need, so any inline
 * script or style, or any resource outside 'self' and blob:, shows up as a violation.
 */
export const STRICT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  'object-src blob:',
  'frame-src blob:',
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export interface PageProbe {
  cspViolations: string[];
  pageErrors: string[];
}

/**
 * Every page of the context records CSP violations, and the Blob behind every object URL, so a
 * test can hash what an <img> shows without fetching blob: URLs (which the page's CSP rightly
 * forbids: connect-src 'self').
 */
export async function installPageProbes(context: BrowserContext): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await context.addInitScript(() => {
    const w = window as unknown as { __csp: string[]; __blobs: Map<string, Blob> };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      w.__csp.push(`${event.effectiveDirective} ${event.blockedURI}`);
    });
    w.__blobs = new Map();
    const create = URL.createObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob | MediaSource): string => {
      const url = create(object);
      if (object instanceof Blob) w.__blobs.set(url, object);
      return url;
    };
  });
}

export function watch(target: Page, probe: PageProbe): void {
  target.on('pageerror', (error) => probe.pageErrors.push(error.message));
  target.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
      probe.pageErrors.push(message.text());
  });
}

/** The CSP violations a page recorded since the last call. */
export async function takeCspViolations(target: Page): Promise<string[]> {
  if (target.isClosed()) return [];
  return target.evaluate(() => (window as unknown as { __csp: string[] }).__csp.splice(0));
}

export async function openWithStrictCsp(target: Page, baseUrl: string): Promise<void> {
  await target.route(`${baseUrl}/`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } });
  });
  await target.goto(`${baseUrl}/`);
  // Stop intercepting so uploads reach the network stack untouched (and report progress).
  await target.unrouteAll();
}

/** SHA-256 of the bytes behind the blob: URL of the <img> the viewer shows. */
export async function shownImageSha256(target: Page): Promise<string> {
  return target.evaluate(async () => {
    const img = document.querySelector<HTMLImageElement>('#viewer img');
    if (!img) throw new Error('no image shown');
    const blob = (window as unknown as { __blobs: Map<string, Blob> }).__blobs.get(img.src);
    if (!blob) throw new Error(`no Blob recorded for ${img.src}`);
    const bytes = await blob.arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  });
}

/** Waits until the viewer's <img> has decoded. */
export async function imageShown(target: Page): Promise<void> {
  await target.locator('#viewer img').waitFor();
  await target.waitForFunction(() => {
    const img = document.querySelector<HTMLImageElement>('#viewer img');
    return Boolean(img?.complete && img.naturalWidth > 0);
  });
}

/** No JSON, stack or problem type leaks into what the user reads. */
export async function assertNoRawProblem(target: Page): Promise<void> {
  const text = (await target.locator('main').innerText()) ?? '';
  expect(text).not.toMatch(/[{}]|"code"|problem|urn:|\bat .+\.(ts|js):\d+/);
}

/** Visible form controls (and radios) without a label or aria-label. */
export async function unlabelledControls(target: Page): Promise<string[]> {
  return target.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement>('input, select, textarea'))
      .filter((control) => control.offsetParent !== null || control.type === 'radio')
      .filter((control) => (control.labels?.length ?? 0) === 0 && !control.getAttribute('aria-label'))
      .map((control) => control.id || control.name),
  );
}

/** The level-2 headings a user can see, in page order. */
export async function visibleCardTitles(target: Page): Promise<string[]> {
  return target.getByRole('heading', { level: 2 }).allTextContents();
}

export async function shot(target: Page | Locator, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  if ('goto' in target) await target.screenshot({ path, fullPage: options.fullPage ?? true });
  else await target.screenshot({ path });
}

/** A tall phone page in readable 320 × 800 slices. */
export async function shotSlices(target: Page, name: string): Promise<void> {
  const { width, height } = await target.evaluate(() => ({
    width: window.innerWidth,
    height: document.documentElement.scrollHeight,
  }));
  const slice = 800;
  for (let index = 0; index * slice < height; index += 1) {
    const clip = { x: 0, y: index * slice, width, height: Math.min(slice, height - index * slice) };
    await target.screenshot({ path: join(SCREENSHOT_DIR, `${name}-part${index + 1}.png`), fullPage: true, clip });
  }
}

export function screenshotCount(): number {
  try {
    return readdirSync(SCREENSHOT_DIR).filter((file) => file.endsWith('.png')).length;
  } catch {
    return 0;
  }
}

/** Document and body are no wider than the viewport (no horizontal scrolling). */
export async function pageWidths(target: Page): Promise<{ document: number; body: number; viewport: number }> {
  return target.evaluate(() => ({
    document: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    viewport: window.innerWidth,
  }));
}
