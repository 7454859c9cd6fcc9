// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { TestProvider } from './support/access';
import { chromiumAvailable, LaunchedBrowser } from './support/browser';
import { PageProbe, sha256, shot } from './support/page';
import { makeDicom } from '../support/files';
import { letterPdf, scanPng } from './support/png';
import { RunningServer } from './support/server';
import { expectNoPageProblems, startWebInterface, stopWebInterface, waitFor } from './support/web-interface';

const HISTORY_PAGE_SIZE = 10;

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

/** How the page shows what it reads: no records, a PDF, a DICOM file, a history longer than a page. Signed in from the start. */
describeWithChromium('web interface in a real browser', () => {
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let page: Page;
  /** Null while the API has no access control; then the page must not ask for a token. */
  let provider: TestProvider | null = null;
  const probe: PageProbe = { cspViolations: [], pageErrors: [] };

  const patientId = `PAT-${randomBytes(3).toString('hex').toUpperCase()}`;

  beforeAll(async () => {
    ({ server, browser, page, provider } = await startWebInterface(
      [patientId, `NEW-${patientId}`, `MANY-${patientId}`],
      probe,
      { signedIn: true },
    ));
  }, 240_000);

  afterAll(async () => {
    await stopWebInterface(server, browser);
  });

  afterEach(async () => {
    await expectNoPageProblems(page, probe);
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
});
