// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { TestProvider } from './support/access';
import { chromiumAvailable, LaunchedBrowser } from './support/browser';
import {
  imageShown,
  PageProbe,
  pageWidths,
  sha256,
  shot,
  shotSlices,
  shownImageSha256,
  takeCspViolations,
  watch,
} from './support/page';
import { scanPng } from './support/png';
import { RunningServer, TEST_LEDGER_TIMEOUT_MS } from './support/server';
import { expectNoPageProblems, signedIn, startWebInterface, stopWebInterface, waitFor } from './support/web-interface';

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

/**
 * Both ledgers, and one of them hanging; then the keyboard alone and a 320 px phone, which read
 * back the patient's latest record (the ones the first two tests store). Signed in from the start.
 */
describeWithChromium('web interface in a real browser', () => {
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let context: BrowserContext;
  let page: Page;
  /** Null while the API has no access control; then the page must not ask for a token. */
  let provider: TestProvider | null = null;
  const probe: PageProbe = { cspViolations: [], pageErrors: [] };

  const patientId = `PAT-${randomBytes(3).toString('hex').toUpperCase()}`;

  beforeAll(async () => {
    ({ server, browser, context, page, provider } = await startWebInterface([patientId], probe, { signedIn: true }));
  }, 240_000);

  afterAll(async () => {
    await stopWebInterface(server, browser);
  });

  afterEach(async () => {
    await expectNoPageProblems(page, probe);
  });

  it('stores a record on both ledgers and reads it back from either', async () => {
    const upload = page.locator('#upload-card');
    const scanBoth = scanPng({ width: 320, height: 240, seed: 5 });
    await upload.getByLabel('Patient ID').fill(patientId);
    await upload.getByRole('radio', { name: 'Both ledgers' }).check();
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'chest-xray-both.png', mimeType: 'image/png', buffer: scanBoth });
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/records'));
    await upload.getByRole('button', { name: 'Upload' }).click();
    const created = await response;
    expect(created.status()).toBe(201);
    const body = (await created.json()) as { replicas: Record<string, { version: number }> };

    const result = page.locator('#upload-result');
    await page.locator('#upload-result-title', { hasText: 'Record stored on both ledgers' }).waitFor();
    expect(await result.locator('.meta__row', { hasText: 'SUPchain copy' }).locator('dd').textContent()).toBe(
      `Stored, version ${body.replicas.supchain.version}`,
    );
    expect(await result.locator('.meta__row', { hasText: 'MEDchain copy' }).locator('dd').textContent()).toBe(
      `Stored, version ${body.replicas.medchain.version}`,
    );
    expect(await page.locator('#upload-status').textContent()).toBe(
      `Stored chest-xray-both.png on SUPchain (version ${body.replicas.supchain.version}) and MEDchain (version ${body.replicas.medchain.version}).`,
    );
    await shot(page.locator('#upload-card'), '11b-stored-on-both');

    // "View in Retrieve" reads from either ledger.
    await page.locator('#upload-view').click();
    await imageShown(page);
    expect(await page.locator('#retrieve-card').getByRole('radio', { name: 'Either ledger' }).isChecked()).toBe(true);
    expect(await shownImageSha256(page)).toBe(sha256(scanBoth));
    expect(await page.locator('#retrieve-status').textContent()).toMatch(
      /^Showing the latest record \(.*chest-xray-both\.png\) from (SUPchain|MEDchain)\.$/,
    );
  });

  // Needs the server's own chains, to freeze one: not possible against BROWSER_TEST_BASE_URL.
  const itOnOwnServer = process.env.BROWSER_TEST_BASE_URL ? it.skip : it;

  itOnOwnServer(
    'says plainly when one ledger hangs (202) and follows the copy until it is written',
    async () => {
      const signals = server.ledgerSignals!;
      const upload = page.locator('#upload-card');
      const knee = scanPng({ width: 64, height: 32, seed: 6 });
      signals.pause('medchain');
      try {
        await upload.getByLabel('Patient ID').fill(patientId);
        await upload.getByRole('radio', { name: 'Both ledgers' }).check();
        await upload
          .getByLabel('File', { exact: true })
          .setInputFiles({ name: 'knee-mri.png', mimeType: 'image/png', buffer: knee });
        const answered = page.waitForResponse(
          (r) => r.request().method() === 'POST' && /\/records$/.test(new URL(r.url()).pathname),
          { timeout: 4 * TEST_LEDGER_TIMEOUT_MS },
        );
        await upload.getByRole('button', { name: 'Upload' }).click();
        const created = await answered;
        expect(created.status()).toBe(202);
        const body = (await created.json()) as { recordId: string; replicas: { supchain: { version: number } } };

        const result = page.locator('#upload-result');
        await page.locator('#upload-result-title', { hasText: 'Stored on SUPchain only, for now' }).waitFor();
        expect(await result.getAttribute('class')).toContain('result--partial');
        expect(await page.locator('#upload-result-note').textContent()).toBe(
          'MEDchain could not be reached. The record is safe on SUPchain, and the copy will be written to MEDchain when it returns.',
        );
        expect(await page.locator('#upload-status').textContent()).toBe(
          `Stored knee-mri.png on SUPchain (version ${body.replicas.supchain.version}); the MEDchain copy is still to be written.`,
        );
        expect(await result.locator('.meta__row', { hasText: 'MEDchain copy' }).locator('dd').textContent()).toBe(
          'Waiting: the copy will be written when this ledger returns',
        );
        await shot(page.locator('#upload-card'), '11c-one-ledger-unreachable');

        signals.resume('medchain');
        // The service's catch-up worker writes the copy with backoff; the page asks when told to.
        const again = page.getByRole('button', { name: 'Check the copies again' });
        const done = page.locator('#upload-result-title', { hasText: 'Record stored on both ledgers' });
        await waitFor(
          async () => {
            if (await again.isVisible()) {
              const checked = page.waitForResponse((r) => r.url().endsWith('/replication'));
              await again.click();
              await checked;
            }
            if (await done.isVisible()) return true;
            await page.waitForTimeout(1_000);
            return false;
          },
          'the MEDchain copy to be written',
          90_000,
        );
        expect(await again.isHidden()).toBe(true);
        expect(await result.getAttribute('class')).not.toContain('result--partial');

        const copy = await fetch(
          `${server.baseUrl}/api/v1/patients/${patientId}/records/${body.recordId}?chain=medchain`,
          {
            headers: { Authorization: `Bearer ${provider!.token}` },
          },
        );
        expect(copy.status).toBe(200);
        expect(Buffer.from(await copy.arrayBuffer()).equals(knee)).toBe(true);
      } finally {
        signals.resume('medchain');
        await page.locator('#upload-card').getByRole('radio', { name: 'SUPchain' }).check();
      }
    },
    180_000,
  );

  it('can be used with the keyboard alone, with a visible focus ring', async () => {
    const keyboardPage = await context.newPage();
    const keyboardProbe: PageProbe = { cspViolations: [], pageErrors: [] };
    watch(keyboardPage, keyboardProbe);
    await signedIn(keyboardPage, provider);
    await keyboardPage.goto(`${server.baseUrl}/`);
    const visited: { id: string; outline: string }[] = [];
    for (let step = 0; step < 16; step += 1) {
      await keyboardPage.keyboard.press('Tab');
      visited.push(
        await keyboardPage.evaluate(() => {
          const active = document.activeElement as HTMLElement;
          if (active === document.body) return { id: 'body', outline: '' };
          const style = getComputedStyle(active);
          return {
            id: active.id || active.getAttribute('name') || active.className,
            outline: `${style.outlineStyle} ${style.outlineWidth}`,
          };
        }),
      );
    }
    const ids = visited.map((v) => v.id);
    for (const expected of [
      'enrol-patient',
      'enrol-submit',
      'upload-patient',
      'upload-chain',
      'upload-file',
      'upload-submit',
      'retrieve-patient',
      'retrieve-chain',
      'retrieve-submit',
    ]) {
      expect(ids).toContain(expected);
    }
    expect(ids.indexOf('enrol-patient')).toBeLessThan(ids.indexOf('upload-patient'));
    expect(ids.indexOf('upload-patient')).toBeLessThan(ids.indexOf('retrieve-patient'));
    for (const { id, outline } of visited.filter((v) => v.id !== 'skip-link' && v.id !== 'body')) {
      expect({ id, outline }).toEqual({ id, outline: expect.stringMatching(/^solid [2-9]/) });
    }

    await keyboardPage.focus('#retrieve-patient');
    await keyboardPage.keyboard.type(patientId);
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.locator('#viewer img').waitFor();
    await keyboardPage.keyboard.press('Tab');
    await shot(keyboardPage, '12-keyboard-focus', { fullPage: false });
    keyboardProbe.cspViolations.push(...(await takeCspViolations(keyboardPage)));
    await keyboardPage.close();
    expect(keyboardProbe).toEqual({ cspViolations: [], pageErrors: [] });
  });

  it('fits a 320 px wide phone (and so 400 % zoom) without horizontal scrolling', async () => {
    const phone = await context.newPage();
    const phoneProbe: PageProbe = { cspViolations: [], pageErrors: [] };
    watch(phone, phoneProbe);
    await signedIn(phone, provider);
    await phone.setViewportSize({ width: 320, height: 720 });
    await phone.goto(`${server.baseUrl}/`);
    const retrieve = phone.locator('#retrieve-card');
    await retrieve.getByLabel('Patient ID').fill(patientId);
    await retrieve.getByRole('button', { name: 'Retrieve' }).click();
    await phone.locator('#viewer img').waitFor();
    await phone.locator('#upload-card').getByLabel('Patient ID').fill('bad id!');
    await phone.locator('#upload-card').getByRole('button', { name: 'Upload' }).click();
    await phone.locator('#upload-patient-error').waitFor();

    const widths = await pageWidths(phone);
    expect(widths.document).toBeLessThanOrEqual(320);
    expect(widths.body).toBeLessThanOrEqual(320);
    await shot(phone, '13-phone-320px-full');
    await shotSlices(phone, '14-phone-320px');
    phoneProbe.cspViolations.push(...(await takeCspViolations(phone)));
    await phone.close();
    expect(phoneProbe).toEqual({ cspViolations: [], pageErrors: [] });
  });
});
