// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { setUpProvider, TestProvider } from './support/access';
import { chromiumAvailable, CHROMIUM_PATH, HOW_TO_RUN, launchChromium, LaunchedBrowser } from './support/browser';
import {
  assertNoRawProblem,
  imageShown,
  installPageProbes,
  openWithStrictCsp,
  PageProbe,
  pageWidths,
  SCREENSHOT_DIR,
  screenshotCount,
  sha256,
  shot,
  shotSlices,
  shownImageSha256,
  takeCspViolations,
  TOKEN_STORAGE_KEY,
  unlabelledControls,
  visibleCardTitles,
  watch,
} from './support/page';
import { makeDicom } from '../support/files';
import { letterPdf, scanPng } from './support/png';
import { RunningServer, startServer, TEST_LEDGER_TIMEOUT_MS } from './support/server';

const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Slow the upload link so a few MiB take a couple of seconds and progress is observable. */
const THROTTLED_UPLOAD_BYTES_PER_SECOND = 1.5 * 1024 * 1024;
const HISTORY_PAGE_SIZE = 10;
const RECORD_ID = /0x[0-9a-f]{64}/;

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;
if (!chromiumAvailable()) {
  process.stdout.write(`Browser tests skipped: ${CHROMIUM_PATH} not found; run them with: ${HOW_TO_RUN}\n`);
}

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
    server = await startServer();
    provider = await setUpProvider(server.baseUrl, server.adminToken);
    for (const id of [patientId, `NEW-${patientId}`, `MANY-${patientId}`]) await provider?.enrol(id);
    browser = await launchChromium();
    context = browser.context;
    await installPageProbes(context);
    page = context.pages()[0] ?? (await context.newPage());
    watch(page, probe);
    await openWithStrictCsp(page, server.baseUrl);
  }, 240_000);

  afterAll(async () => {
    const serverLog = server?.logTail() ?? '';
    if (/\bERROR\b/.test(serverLog)) process.stdout.write(`\n--- server log (it reported errors) ---\n${serverLog}\n`);
    await browser?.close();
    await server?.stop();
    process.stdout.write(`\nBrowser screenshots (${screenshotCount()} so far) in ${SCREENSHOT_DIR}\n`);
  });

  afterEach(async () => {
    if (!page) return; // beforeAll failed; its error is the one to read
    probe.cspViolations.push(...(await takeCspViolations(page)));
    const found = { cspViolations: probe.cspViolations.splice(0), pageErrors: probe.pageErrors.splice(0) };
    expect(found).toEqual({ cspViolations: [], pageErrors: [] });
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

  it('says plainly when a patient has no records on a ledger', async () => {
    const retrieve = page.locator('#retrieve-card');
    await retrieve.getByLabel('Patient ID').fill(`NEW-${patientId}`);
    await retrieve.getByRole('radio', { name: 'MEDchain' }).check();
    await retrieve.getByRole('button', { name: 'Retrieve' }).click();
    const notice = page.locator('#retrieve-empty');
    await notice.waitFor();
    expect(await notice.textContent()).toBe('No records yet for this patient on MEDchain.');
    expect(await page.locator('#retrieve-result').isHidden()).toBe(true);
    await shot(page, '10-no-records');
  });

  it('embeds a PDF record on MEDchain', async () => {
    const upload = page.locator('#upload-card');
    await upload.getByLabel('Patient ID').fill(patientId);
    await upload.getByRole('radio', { name: 'MEDchain' }).check();
    await upload.getByLabel('File', { exact: true }).setInputFiles({
      name: 'discharge-letter.pdf',
      mimeType: 'application/pdf',
      buffer: letterPdf('Discharge letter'),
    });
    await upload.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#upload-status', { hasText: 'Stored version 1' }).waitFor();

    await page.locator('#upload-view').click();
    const frame = page.locator('#viewer iframe');
    await frame.waitFor();
    expect(await frame.getAttribute('src')).toMatch(/^blob:/);
    expect(await frame.getAttribute('title')).toBe('PDF document discharge-letter.pdf');
    expect(await page.locator('#retrieve-card').getByRole('radio', { name: 'MEDchain' }).isChecked()).toBe(true);
    // Chromium shows PDFs through its built-in viewer, a chrome-extension:// frame inside ours.
    await waitFor(() => page.frames().some((f) => f.url().startsWith('chrome-extension://')), 'the PDF viewer');
    await page.waitForTimeout(1500); // let the viewer paint the page before the screenshot
    await shot(page, '11-pdf-on-medchain');
  });

  it('offers a DICOM record as a download with its metadata, byte for byte', async () => {
    // DICOM Part 10: 128-byte preamble, "DICM", the file meta group, then a small dataset.
    const dicom = makeDicom();
    const upload = page.locator('#upload-card');
    await upload.getByLabel('Patient ID').fill(patientId);
    await upload.getByRole('radio', { name: 'MEDchain' }).check();
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'ct-head.dcm', mimeType: 'application/dicom', buffer: dicom });
    await upload.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#upload-status', { hasText: 'Stored version' }).waitFor();

    await page.locator('#upload-view').click();
    const viewer = page.locator('#viewer[data-content-type="application/dicom"]');
    await viewer.waitFor();
    expect(await viewer.locator('img, iframe').count()).toBe(0);
    expect(await viewer.textContent()).toContain(
      'Browsers cannot display DICOM images. Download the file to open it in your DICOM viewer.',
    );
    expect(await viewer.locator('.viewer__file-name').textContent()).toBe('ct-head.dcm');
    expect(await page.locator('#viewer-meta').textContent()).toContain('MEDchain');
    await shot(page, '11a-dicom-download');

    const download = page.waitForEvent('download');
    await page.locator('#viewer-download').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('ct-head.dcm');
    expect(sha256(readFileSync(await file.path()))).toBe(sha256(dicom));
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

  it('pages through a long history with Load more', async () => {
    const many = `MANY-${patientId}`;
    const versions = HISTORY_PAGE_SIZE + 2;
    for (let index = 0; index < versions; index += 1) {
      const body = new FormData();
      body.append('chain', 'SUPchain');
      body.append(
        'file',
        new Blob([new Uint8Array(scanPng({ width: 64, height: 48, seed: 10 + index }))], { type: 'image/png' }),
        `scan-${index + 1}.png`,
      );
      const created = await fetch(`${server.baseUrl}/api/v1/patients/${many}/records`, {
        method: 'POST',
        body,
        headers: provider ? { Authorization: `Bearer ${provider.token}` } : {},
      });
      expect(created.status).toBe(201);
    }
    const retrieve = page.locator('#retrieve-card');
    await retrieve.getByLabel('Patient ID').fill(many);
    await retrieve.getByRole('radio', { name: 'SUPchain' }).check();
    await retrieve.getByRole('button', { name: 'Retrieve' }).click();
    await page.locator('#viewer img').waitFor();
    const rows = page.locator('#history-body tr');
    await page.waitForFunction((n) => document.querySelectorAll('#history-body tr').length === n, HISTORY_PAGE_SIZE);
    const more = page.getByRole('button', { name: 'Load more' });
    expect(await more.isVisible()).toBe(true);
    await more.click();
    await page.waitForFunction((n) => document.querySelectorAll('#history-body tr').length === n, versions);
    expect(await more.isHidden()).toBe(true);
    expect((await rows.locator('.history__version').allTextContents()).map(Number)).toEqual(
      Array.from({ length: versions }, (_, index) => versions - index),
    );
  });

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

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** A new tab starts without a token (sessionStorage is per tab): give it the provider's. */
async function signedIn(target: Page, provider: TestProvider | null): Promise<void> {
  if (!provider) return;
  await target.addInitScript(([key, token]) => sessionStorage.setItem(key, token), [TOKEN_STORAGE_KEY, provider.token]);
}

/** Records every value the progress bar takes. */
async function recordProgress(target: Page): Promise<void> {
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
