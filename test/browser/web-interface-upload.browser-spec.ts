// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { TestProvider } from './support/access';
import { chromiumAvailable, CHROMIUM_PATH, HOW_TO_RUN, LaunchedBrowser } from './support/browser';
import {
  assertNoRawProblem,
  imageShown,
  PageProbe,
  SCREENSHOT_DIR,
  sha256,
  shot,
  shownImageSha256,
  TOKEN_STORAGE_KEY,
  unlabelledControls,
  visibleCardTitles,
} from './support/page';
import { scanPng } from './support/png';
import { RunningServer } from './support/server';
import { expectNoPageProblems, recordProgress, startWebInterface, stopWebInterface } from './support/web-interface';

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Slow the upload link so a few MiB take a couple of seconds and progress is observable. */
const THROTTLED_UPLOAD_BYTES_PER_SECOND = 1.5 * 1024 * 1024;
const RECORD_ID = /0x[0-9a-f]{64}/;

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;
if (!chromiumAvailable()) {
  process.stdout.write(`Browser tests skipped: ${CHROMIUM_PATH} not found; run them with: ${HOW_TO_RUN}\n`);
}

/**
 * The page from the first visit: sign in, a refused patient id, two versions uploaded (one with
 * progress, one dropped), the latest and an older one read back, two refused files. One page, each
 * test continuing from the last. Other records and ledgers: web-interface-viewing and
 * web-interface-ledgers-and-access.
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
  const scanV1 = scanPng({ width: 2000, height: 1600, seed: 1 });
  const scanV2 = scanPng({ width: 1400, height: 1100, seed: 2 });
  let recordIdV1 = '';
  let recordIdV2 = '';

  beforeAll(async () => {
    ({ server, browser, context, page, provider } = await startWebInterface([patientId], probe, { signedIn: false }));
  }, 240_000);

  afterAll(async () => {
    await stopWebInterface(server, browser);
  });

  afterEach(async () => {
    await expectNoPageProblems(page, probe);
  });

  it('shows the product header and, before sign-in, only the sign-in card', async () => {
    await expect(page.title()).resolves.toBe('Patient-Centric EMR');
    expect(await page.locator('.brand__name').textContent()).toBe('Patient-Centric EMR');
    // No access control on the server: GET /api/v1/me is 404 and the page works without a token.
    await page.locator(provider ? '#sign-in' : '#upload-card').waitFor();
    expect(await visibleCardTitles(page)).toEqual(provider ? ['Sign in'] : ['Upload a record', 'Retrieve records']);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await page.locator('#sign-in').isHidden()).toBe(provider === null);
    await shot(page, '01-first-visit');
  });

  it('signs in with a pasted access token, kept in sessionStorage and never in the URL', async () => {
    if (!provider) {
      // No access control on this server: GET /api/v1/me is 404 and the page asks for nothing.
      expect(await page.locator('#session').isHidden()).toBe(true);
      return;
    }
    const token = page.getByLabel('Access token', { exact: true });
    await token.fill('not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('#sign-in-token-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      'This token was not recognised. Check that it was pasted in full and try again.',
    );
    await shot(page, '01b-sign-in-refused', { fullPage: false });

    await token.fill(provider.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#session-who', { hasText: `Signed in as ${provider.providerId} (provider)` }).waitFor();
    expect(await page.locator('#sign-in').isHidden()).toBe(true);
    expect(page.url()).not.toContain(provider.token);
    expect(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_STORAGE_KEY)).toBe(provider.token);
    expect(await page.evaluate((key) => localStorage.getItem(key), TOKEN_STORAGE_KEY)).toBeNull();
    // A provider's page: enrol, upload, retrieve; focus lands in the first card.
    expect(await visibleCardTitles(page)).toEqual(['Enrol a patient', 'Upload a record', 'Retrieve records']);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('enrol-patient');
    await shot(page, '01c-signed-in', { fullPage: false });
  });

  it('refuses a malformed patient id in the page, next to the patient field, without calling the API', async () => {
    const upload = page.locator('#upload-card');
    let requests = 0;
    const count = (): void => void (requests += 1);
    page.on('request', count);
    await upload.getByLabel('Patient ID').fill('../etc/passwd');
    await upload.getByRole('button', { name: 'Upload' }).click();
    page.off('request', count);

    const error = page.locator('#upload-patient-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/letters, digits/);
    expect(await page.locator('#upload-file-error').textContent()).toBe('Choose a file to upload.');
    expect(await upload.getByLabel('Patient ID').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('upload-patient');
    expect(requests).toBe(0);
    await shot(page, '02-patient-id-rejected');
  });

  it('uploads a few-MiB PNG to SUPchain with a moving progress bar and shows the stored record', async () => {
    const upload = page.locator('#upload-card');
    await upload.getByLabel('Patient ID').fill(patientId);
    await upload.getByRole('radio', { name: 'SUPchain' }).check();
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'chest-xray-v1.png', mimeType: 'image/png', buffer: scanV1 });
    expect(await page.locator('#upload-file-chosen').textContent()).toContain('chest-xray-v1.png');

    await recordProgress(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 20,
      downloadThroughput: -1,
      uploadThroughput: THROTTLED_UPLOAD_BYTES_PER_SECOND,
    });
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/records'));
    await upload.getByRole('button', { name: 'Upload' }).click();

    await page.waitForFunction(() => {
      const bar = document.getElementById('upload-progress') as HTMLProgressElement;
      return !bar.closest('[hidden]') && bar.value > 5 && bar.value < 95;
    });
    await shot(page, '03-upload-in-progress', { fullPage: false });
    expect(await page.locator('#upload-status').textContent()).toMatch(/Upload|SUPchain/);

    const created = await response;
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    expect(created.status()).toBe(201);
    const meta = (await created.json()) as { recordId: string; version: number; transactions: string[] };
    recordIdV1 = meta.recordId;

    const progress = await page.evaluate(() => (window as unknown as { __progress: number[] }).__progress);
    expect(progress.some((value) => value > 0 && value < 100)).toBe(true);
    expect(progress.at(-1)).toBe(100);

    const result = page.locator('#upload-result');
    await result.waitFor();
    const text = (await result.textContent()) ?? '';
    expect(text).toContain(meta.recordId);
    expect(text).toContain('SUPchain');
    // The in-memory ledger has no transactions; the embedded chains have one per write.
    for (const hash of meta.transactions) expect(text).toContain(hash);
    expect(text).toContain(`${scanV1.length.toLocaleString('en-GB')} bytes`);
    expect(await result.locator('.meta__row', { hasText: 'Version' }).locator('dd').textContent()).toBe(
      String(meta.version),
    );
    expect(await page.locator('#upload-status').textContent()).toContain('Stored version');
    await shot(page, '04-upload-stored');
  });

  it('takes a second version dropped onto the file area', async () => {
    const dataTransfer = await page.evaluateHandle(
      ({ base64, name }) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name, { type: 'image/png' }));
        return transfer;
      },
      { base64: scanV2.toString('base64'), name: 'chest-xray-v2.png' },
    );
    await page.dispatchEvent('#upload-dropzone', 'dragenter', { dataTransfer });
    expect(await page.locator('#upload-dropzone').getAttribute('class')).toContain('dropzone--over');
    await page.locator('#upload-card').screenshot({ path: join(SCREENSHOT_DIR, '05-drag-over.png') });
    await page.dispatchEvent('#upload-dropzone', 'drop', { dataTransfer });
    expect(await page.locator('#upload-file-chosen').textContent()).toContain('chest-xray-v2.png');

    const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/records'));
    await page.locator('#upload-card').getByRole('button', { name: 'Upload' }).click();
    const created = await response;
    expect(created.status()).toBe(201);
    const meta = (await created.json()) as { recordId: string; version: number };
    recordIdV2 = meta.recordId;
    await page.locator('#upload-status', { hasText: `Stored version ${meta.version}` }).waitFor();
  });

  it('retrieves the latest record as an image whose bytes equal the upload, with the history newest first', async () => {
    const retrieve = page.locator('#retrieve-card');
    await retrieve.getByLabel('Patient ID').fill(patientId);
    await retrieve.getByRole('radio', { name: 'SUPchain' }).check();
    await retrieve.getByRole('button', { name: 'Retrieve' }).click();

    const image = page.locator('#viewer img');
    await imageShown(page);
    expect(await image.getAttribute('src')).toMatch(/^blob:/);
    expect(await shownImageSha256(page)).toBe(sha256(scanV2));
    expect(await page.locator('#viewer').getAttribute('data-record-id')).toBe(recordIdV2);
    expect(await page.locator('#viewer-title').textContent()).toBe('Latest record');

    const rows = page.locator('#history-body tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getAttribute('data-record-id')).toBe(recordIdV2);
    expect(await rows.nth(1).getAttribute('data-record-id')).toBe(recordIdV1);
    expect(await rows.nth(0).getAttribute('aria-current')).toBe('true');
    expect(await page.locator('#history-more').isHidden()).toBe(true);
    expect(await page.locator('#viewer-meta').textContent()).toMatch(RECORD_ID);
    await shot(page, '06-retrieve-latest');
  });

  it('opens and downloads an older version from the history', async () => {
    const older = page.locator(`#history-body tr[data-record-id="${recordIdV1}"]`);
    await older.getByRole('button', { name: 'Open version 1' }).click();
    await page.locator(`#viewer[data-record-id="${recordIdV1}"] img`).waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('#viewer img')?.naturalWidth ?? 0) > 0);
    expect(await shownImageSha256(page)).toBe(sha256(scanV1));
    expect(await page.locator('#viewer-title').textContent()).toBe('Version 1');
    expect(await older.getAttribute('aria-current')).toBe('true');
    await shot(page, '07-history-version-1');

    const download = page.waitForEvent('download');
    await older.getByRole('button', { name: 'Download version 1' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('chest-xray-v1.png');
    expect(sha256(readFileSync(await file.path()))).toBe(sha256(scanV1));
  });

  it('explains a file over the size limit next to the file field', async () => {
    const upload = page.locator('#upload-card');
    const tooLarge = scanPng({ width: 3300, height: 3200, seed: 3 });
    expect(tooLarge.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'whole-body-ct.png', mimeType: 'image/png', buffer: tooLarge });
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/records'));
    await upload.getByRole('button', { name: 'Upload' }).click();
    expect((await response).status()).toBe(413);

    const error = page.locator('#upload-file-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(
      /^This file is 10\.\d MB, which is too large\.( The largest file accepted is 10 MB\.)? Choose a smaller file\.$/,
    );
    expect(await page.locator('#upload-file-field').getAttribute('class')).toContain('field--error');
    expect(await upload.getByLabel('File', { exact: true }).getAttribute('aria-describedby')).toContain(
      'upload-file-error',
    );
    expect(await page.locator('#upload-result').isHidden()).toBe(true);
    await assertNoRawProblem(page);
    await shot(page, '08-file-too-large');
  });

  it('explains a text file dressed as .png next to the file field', async () => {
    const upload = page.locator('#upload-card');
    const note = Buffer.from('Patient reports mild headache. Not an image.\n', 'utf8');
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: note });
    const response = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/records'));
    await upload.getByRole('button', { name: 'Upload' }).click();
    expect((await response).status()).toBe(415);

    const error = page.locator('#upload-file-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      'This file is not a supported medical image or document. Choose a PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM or PDF file.',
    );
    await assertNoRawProblem(page);
    await shot(page, '09-not-an-image');
  });
});
