// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import type { BrowserContext, Page } from 'playwright-core';
import { setUpProvider, TestProvider } from './access';
import { launchChromium, LaunchedBrowser } from './browser';
import {
  installPageProbes,
  openWithStrictCsp,
  PageProbe,
  SCREENSHOT_DIR,
  screenshotCount,
  takeCspViolations,
  TOKEN_STORAGE_KEY,
  watch,
} from './page';
import { RunningServer, startServer } from './server';

/** Shared by the web-interface-*.browser-spec.ts suites: one server, one browser, one watched page each. */

export interface WebInterfaceSession {
  server: RunningServer;
  browser: LaunchedBrowser;
  context: BrowserContext;
  page: Page;
  /** Null while the API has no access control; then the page must not ask for a token. */
  provider: TestProvider | null;
}

/**
 * Starts the service and Chromium, sets up a provider who enrols `patientIds`, and opens the page
 * under the strict CSP with `probe` watching it. `signedIn`: the provider signs in on it before
 * the first test; otherwise it starts signed out.
 */
export async function startWebInterface(
  patientIds: readonly string[],
  probe: PageProbe,
  options: { signedIn: boolean },
): Promise<WebInterfaceSession> {
  const server = await startServer();
  const provider = await setUpProvider(server.baseUrl, server.adminToken);
  for (const id of patientIds) await provider?.enrol(id);
  const browser = await launchChromium();
  const context = browser.context;
  await installPageProbes(context);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page, probe);
  await openWithStrictCsp(page, server.baseUrl);
  if (options.signedIn && provider) await signInWithToken(page, provider);
  return { server, browser, context, page, provider };
}

/**
 * Signs in through the page's own form, as a user pasting the token would. (Not signedIn(): its
 * init script runs in every frame, and the PDF viewer's frame has no sessionStorage.)
 */
async function signInWithToken(page: Page, provider: TestProvider): Promise<void> {
  await page.getByLabel('Access token', { exact: true }).fill(provider.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#session-who', { hasText: `Signed in as ${provider.providerId} (provider)` }).waitFor();
}

/** Stops what startWebInterface started (either may be missing when it failed), showing the server's errors. */
export async function stopWebInterface(
  server: RunningServer | undefined,
  browser: LaunchedBrowser | undefined,
): Promise<void> {
  const serverLog = server?.logTail() ?? '';
  if (/\bERROR\b/.test(serverLog)) process.stdout.write(`\n--- server log (it reported errors) ---\n${serverLog}\n`);
  await browser?.close();
  await server?.stop();
  process.stdout.write(`\nBrowser screenshots (${screenshotCount()} so far) in ${SCREENSHOT_DIR}\n`);
}

/** After each test: no CSP violation and no page error since the last check. */
export async function expectNoPageProblems(page: Page | undefined, probe: PageProbe): Promise<void> {
  if (!page) return; // beforeAll failed; its error is the one to read
  probe.cspViolations.push(...(await takeCspViolations(page)));
  const found = { cspViolations: probe.cspViolations.splice(0), pageErrors: probe.pageErrors.splice(0) };
  expect(found).toEqual({ cspViolations: [], pageErrors: [] });
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A new tab starts without a token (sessionStorage is per tab): give it the provider's. */
export async function signedIn(target: Page, provider: TestProvider | null): Promise<void> {
  if (!provider) return;
  await target.addInitScript(([key, token]) => sessionStorage.setItem(key, token), [TOKEN_STORAGE_KEY, provider.token]);
}

/** Records every value the progress bar takes. */
export async function recordProgress(target: Page): Promise<void> {
  await target.evaluate(() => {
    const bar = document.getElementById('upload-progress') as HTMLProgressElement;
    const w = window as unknown as { __progress: number[] };
    w.__progress = [];
    new MutationObserver(() => w.__progress.push(bar.value)).observe(bar, {
      attributes: true,
      attributeFilter: ['value'],
    });
  });
}
