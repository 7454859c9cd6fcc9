// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium, LaunchedBrowser } from './support/browser';
import { claimInPage } from './support/claim';
import { expectNoTabProblems, openStoryTab, startStoryBrowser } from './support/consent-story';
import { GROUPED_RECOVERY_CODE, keysStep } from './support/keys';
import {
  assertNoRawProblem,
  imageShown,
  installPageProbes,
  PageProbe,
  sha256,
  shot,
  shownImageSha256,
  visibleCardTitles,
} from './support/page';
import { letterPdf, scanPng } from './support/png';
import { RunningServer } from './support/server';

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

const INTEGRITY_SENTENCE =
  'This record failed its integrity check, so it is not shown. It may have been altered; please report it to your administrator.';
const NOT_MEDIA_SENTENCE =
  'This file is not a supported medical image or document. Choose a PNG, JPEG, GIF, WebP, TIFF, BMP, DICOM or PDF file.';

/**
 * #13 patients hold their own keys, in the page: the keys are made in the browser and the
 * recovery code is shown once and confirmed; a record the clinic uploaded before that is
 * readable afterwards (re-wrapped); the patient's own upload is checked, locked and signed in
 * the page; another browser gets the keys back only with the right recovery code; a record
 * that fails its checks in the page is not shown.
 */
describeWithChromium('#13 a patient holds their own keys in the page', () => {
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let context: BrowserContext;
  const probe: PageProbe = { cspViolations: [], pageErrors: [] };
  const pages: Page[] = [];
  const suffix = randomBytes(2).toString('hex');
  const clinic = { id: `keys-clinic-${suffix}`, token: '' };
  const patientId = `P-K${randomBytes(2).toString('hex').toUpperCase()}`;
  const clinicScan = scanPng({ width: 300, height: 200, seed: 41 });
  const ownPhoto = scanPng({ width: 200, height: 160, seed: 42 });

  let patientPage: Page;
  let patientToken = '';
  let recoveryCode = '';
  /** A second browser profile: another device, with nothing of the first one's storage. */
  let otherDevice: LaunchedBrowser | undefined;
  /** Every request either browser profile sent during the story: checked at the end for key material and plaintext. */
  const sent: SentRequest[] = [];

  const openTab = (): Promise<Page> => openStoryTab(context, probe, pages, server.baseUrl);
  const api = async (path: string, token: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.baseUrl}/api/v1${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });

  beforeAll(async () => {
    ({ server, browser, context } = await startStoryBrowser());
    recordRequests(context, sent);
    const created = await (
      await api('/providers', server.adminToken!, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ providerId: clinic.id, name: 'Keys Clinic' }),
      })
    ).json();
    clinic.token = await claimToken((created as { claimCode: string }).claimCode);
  }, 240_000);

  afterAll(async () => {
    await otherDevice?.close();
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await expectNoTabProblems(pages, probe);
  });

  async function claimToken(claimCode: string): Promise<string> {
    const response = await fetch(`${server.baseUrl}/api/v1/claims`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ claimCode }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  it('#13 the patient claims, is asked to set up keys, and must confirm the recovery code before anything is registered', async () => {
    const enrolled = await api('/patients', clinic.token, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ patientId }),
    });
    expect(enrolled.status).toBe(201);
    const enrolment = (await enrolled.json()) as Record<string, unknown>;
    // The clinic gets a claim code, never a token (nor a key: the patient's are made in their browser).
    expect(Object.keys(enrolment).sort()).toEqual(['claimCode', 'claimExpiresAt', 'enrolledBy', 'patientId']);
    const claimCode = enrolment.claimCode as string;
    // The clinic uploads before the patient has keys: the record gets the patient's slot at registration.
    const upload = new FormData();
    upload.append('chain', 'supchain');
    upload.append('file', new Blob([new Uint8Array(clinicScan)], { type: 'image/png' }), 'knee-xray.png');
    expect((await api(`/patients/${patientId}/records`, clinic.token, { method: 'POST', body: upload })).status).toBe(
      201,
    );

    patientPage = await openTab();
    await patientPage.getByLabel('Claim code', { exact: true }).fill(claimCode);
    await patientPage.getByRole('button', { name: 'Use claim code' }).click();
    await patientPage.locator('#session-who', { hasText: `Signed in as ${patientId} (patient)` }).waitFor();
    patientToken = await patientPage.getByLabel('Your access token, shown once').inputValue();
    expect(await keysStep(patientPage)).toBe('setup');
    // Records wait for the keys; consents and the access log do not need them.
    expect(await visibleCardTitles(patientPage)).toEqual([
      'You are signed in. Here is your access token',
      'Set up your keys',
      'Consents',
      'Access log',
    ]);
    const card = patientPage.locator('#keys-card');
    expect(await card.innerText()).toContain(
      'If you lose both this browser’s keys and the recovery code, nobody — not the clinic, not the operator — can open the records you uploaded yourself.',
    );

    let registrations = 0;
    patientPage.on('request', (request) => {
      if (request.url().endsWith('/api/v1/me/keys')) registrations += 1;
    });
    await card.getByRole('button', { name: 'Create my keys' }).click();
    await patientPage.locator('#recovery-reveal').waitFor();
    recoveryCode = await card.getByLabel('Your recovery code, shown once').inputValue();
    expect(recoveryCode).toMatch(GROUPED_RECOVERY_CODE);
    expect(await patientPage.locator('#recovery-reveal').innerText()).toContain(
      'Write it down now: it will not be shown again.',
    );
    await shot(patientPage, 'keys-01-recovery-code', { fullPage: false });

    // A wrong last group is refused in the page: nothing is registered.
    const lastGroup = recoveryCode.split('-').pop() ?? '';
    await card.getByLabel('Last group of your recovery code').fill(lastGroup === 'ZZZZ' ? 'YYYY' : 'ZZZZ');
    await card.getByRole('button', { name: 'I have written it down: finish' }).click();
    expect(await patientPage.locator('#keys-confirm-error').textContent()).toBe(
      'That is not the last group of your recovery code. Check what you wrote down against the code above.',
    );
    expect(registrations).toBe(0);
    expect((await (await api('/me', patientToken)).json()).keys).toBeNull();

    // Typed as people do: lower case.
    await card.getByLabel('Last group of your recovery code').fill(lastGroup.toLowerCase());
    const registered = patientPage.waitForResponse((r) => r.url().endsWith('/api/v1/me/keys'));
    await card.getByRole('button', { name: 'I have written it down: finish' }).click();
    const answer = await registered;
    expect(answer.status()).toBe(201);
    expect(((await answer.json()) as { rewrapped: number }).rewrapped).toBe(1);
    await patientPage.locator('#main[data-keys="ready"]').waitFor({ state: 'attached' });
    // The code is gone from the page for good.
    expect(await patientPage.content()).not.toContain(recoveryCode);
    await patientPage.getByRole('button', { name: 'Done: hide the token' }).click();
    expect(await visibleCardTitles(patientPage)).toEqual([
      'Upload to my record',
      'Consents',
      'My records',
      'Access log',
    ]);

    // The keys this browser keeps are the ones registered, and their private halves cannot be exported.
    const me = (await (await api('/me', patientToken)).json()) as {
      keys: { encryptionPublicKey: string; signingPublicKey: string };
    };
    const stored = await patientPage.evaluate(async (id) => {
      const database = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('patient-centric-emr');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      type Half = { privateKey: CryptoKey; publicKey: Uint8Array };
      const record = await new Promise<{ encryption: Half; signing: Half }>((resolve, reject) => {
        const request = database.transaction('patient-keys').objectStore('patient-keys').get(id);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      database.close();
      const hex = (bytes: Uint8Array): string =>
        `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
      return {
        encryptionPublicKey: hex(record.encryption.publicKey),
        signingPublicKey: hex(record.signing.publicKey),
        extractable: [record.encryption.privateKey.extractable, record.signing.privateKey.extractable],
      };
    }, patientId);
    expect(stored).toEqual({
      encryptionPublicKey: me.keys.encryptionPublicKey,
      signingPublicKey: me.keys.signingPublicKey,
      extractable: [false, false],
    });
  });

  it('#13 the patient reads the clinic’s record, opened in the page through the sealed read', async () => {
    let plaintextReads = 0;
    patientPage.on('request', (request) => {
      if (/\/records(\/|\?|$)/.test(new URL(request.url()).pathname + new URL(request.url()).search))
        plaintextReads += 1;
    });
    const mine = patientPage.locator('#retrieve-card');
    await mine.getByRole('radio', { name: 'SUPchain' }).check();
    const read = patientPage.waitForResponse((r) => /\/sealed-records\/0x[0-9a-f]{64}/.test(r.url()));
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    expect((await read).status()).toBe(200);
    await imageShown(patientPage);
    expect(await shownImageSha256(patientPage)).toBe(sha256(clinicScan));
    expect(plaintextReads).toBe(0);
    const row = patientPage.locator('#history-body tr').first();
    expect(await row.innerText()).toContain('knee-xray.png');
    expect(await row.innerText()).toContain('PNG image');
    expect(
      await patientPage.locator('#viewer-meta .meta__row', { hasText: 'Uploaded by' }).locator('dd').textContent(),
    ).toBe(clinic.id);
    await shot(patientPage, 'keys-02-clinic-record-opened-in-page');
  });

  it('#13 the page refuses what the service would refuse, before encrypting or sending anything', async () => {
    const upload = patientPage.locator('#upload-card');
    let sent = 0;
    const count = (request: { url(): string }): void => {
      if (/\/recipients|\/sealed-records/.test(request.url())) sent += 1;
    };
    patientPage.on('request', count);
    // Not a medical file at all, then a PDF sent as if it were a PNG.
    for (const file of [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a scan') },
      { name: 'letter.png', mimeType: 'image/png', buffer: letterPdf('Discharge letter') },
    ]) {
      await upload.getByLabel('File', { exact: true }).setInputFiles(file);
      await upload.getByRole('button', { name: 'Upload' }).click();
      await patientPage.locator('#upload-file-error', { hasText: NOT_MEDIA_SENTENCE }).waitFor();
      await patientPage.locator('#upload-status', { hasText: 'Not uploaded.' }).waitFor();
    }
    patientPage.off('request', count);
    expect(sent).toBe(0);
    await assertNoRawProblem(patientPage);
  });

  it('#13 the patient’s own upload is locked and signed in the page, and read back the same', async () => {
    const upload = patientPage.locator('#upload-card');
    await upload.getByRole('radio', { name: 'MEDchain' }).check();
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'rash-photo.png', mimeType: 'image/png', buffer: ownPhoto });
    const posted = patientPage.waitForRequest((r) => r.method() === 'POST' && r.url().includes('/sealed-records'));
    const created = patientPage.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().includes('/sealed-records'),
    );
    await upload.getByRole('button', { name: 'Upload' }).click();
    const body = (await posted).postDataBuffer() ?? Buffer.alloc(0);
    // Only ciphertext leaves the page: neither the file nor its name travels in clear.
    expect(body.includes(ownPhoto.subarray(0, 64))).toBe(false);
    expect(body.includes(Buffer.from('rash-photo'))).toBe(false);
    expect((await created).status()).toBe(201);
    await patientPage
      .locator('#upload-status', { hasText: 'Stored version 1 of rash-photo.png on MEDchain.' })
      .waitFor();
    expect(await patientPage.locator('#upload-result-meta').innerText()).toContain('PNG image');

    const mine = patientPage.locator('#retrieve-card');
    await mine.getByRole('radio', { name: 'MEDchain' }).check();
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    await imageShown(patientPage);
    expect(await shownImageSha256(patientPage)).toBe(sha256(ownPhoto));
    expect(
      await patientPage.locator('#viewer-meta .meta__row', { hasText: 'Uploaded by' }).locator('dd').textContent(),
    ).toBe(patientId);
  });

  it('#13 a record whose content was altered on the way fails its check in the page and is not shown', async () => {
    await patientPage.route(/\/sealed-records\/0x[0-9a-f]{64}\/content/, async (route) => {
      const response = await route.fetch();
      const content = Buffer.from(await response.body());
      content[content.length - 1] ^= 0x01;
      await route.fulfill({ response, body: content });
    });
    const mine = patientPage.locator('#retrieve-card');
    await mine.getByRole('radio', { name: 'MEDchain' }).check();
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    await patientPage.locator('#retrieve-error', { hasText: INTEGRITY_SENTENCE }).waitFor();
    expect(await patientPage.locator('#retrieve-result').isHidden()).toBe(true);
    await assertNoRawProblem(patientPage);
    await patientPage.unrouteAll();
  });

  it('#13 on another device the keys come back only with the right recovery code', async () => {
    otherDevice = await launchChromium();
    recordRequests(otherDevice.context, sent);
    await installPageProbes(otherDevice.context);
    const tab = await openStoryTab(otherDevice.context, probe, pages, server.baseUrl);
    await tab.getByLabel('Access token', { exact: true }).fill(patientToken);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.locator('#session-who', { hasText: `Signed in as ${patientId} (patient)` }).waitFor();
    expect(await keysStep(tab)).toBe('restore');
    expect(await tab.locator('#keys-title').textContent()).toBe('Restore your keys');
    expect(await tab.locator('#retrieve-card').isHidden()).toBe(true);

    // Not a recovery code at all: refused in the page.
    const form = tab.locator('#keys-restore-form');
    await form.getByLabel('Recovery code').fill('1234');
    await form.getByRole('button', { name: 'Restore my keys' }).click();
    await tab.locator('#keys-restore-code-error', { hasText: 'A recovery code has 28 letters and digits' }).waitFor();

    // A well-formed code that is not theirs: a clear sentence, nothing stored.
    const wrong = recoveryCode.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await form.getByLabel('Recovery code').fill(wrong);
    await form.getByRole('button', { name: 'Restore my keys' }).click();
    await tab.locator('#keys-restore-code-error', { hasText: 'This recovery code does not open your keys.' }).waitFor();
    expect(await keysStep(tab)).toBe('restore');
    expect(await storedKeyCount(tab)).toBe(0);
    await shot(tab, 'keys-03-wrong-recovery-code', { fullPage: false });

    // The right one, typed loosely: the keys are here, and the patient's own record opens.
    await form.getByLabel('Recovery code').fill(recoveryCode.toLowerCase().replace(/-/g, ' '));
    await form.getByRole('button', { name: 'Restore my keys' }).click();
    await tab.locator('#main[data-keys="ready"]').waitFor({ state: 'attached' });
    expect(await storedKeyCount(tab)).toBe(1);
    const mine = tab.locator('#retrieve-card');
    await mine.getByRole('radio', { name: 'MEDchain' }).check();
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    await imageShown(tab);
    expect(await shownImageSha256(tab)).toBe(sha256(ownPhoto));
    // The clinic's record (re-wrapped for the patient) opens here too.
    await mine.getByRole('radio', { name: 'SUPchain' }).check();
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    // The viewer swaps images: poll until it shows the clinic's scan (or time out).
    const deadline = Date.now() + 15_000;
    let shown = '';
    while (Date.now() < deadline && shown !== sha256(clinicScan)) {
      await imageShown(tab);
      shown = (await shownImageSha256(tab)) ?? '';
      if (shown !== sha256(clinicScan)) await tab.waitForTimeout(200);
    }
    expect(shown).toBe(sha256(clinicScan));
  });

  it('#13 no request either browser sent carried a private key or the plaintext of the patient’s own upload', async () => {
    expect(sent.length).toBeGreaterThan(20);
    expect(sent.some((request) => request.url.endsWith('/api/v1/me/keys'))).toBe(true);
    expect(sent.some((request) => request.url.includes('/sealed-records') && request.method === 'POST')).toBe(true);
    // The private scalars, from the backup opened here with the recovery code (spec §4), as the patient could.
    const backup = (await (await api('/me/key-backup', patientToken)).json()) as {
      backup: string;
      encryptionPublicKey: string;
      signingPublicKey: string;
    };
    const scalars = openBackup(recoveryCode, backup);
    expect(scalars).toHaveLength(2);
    const forbidden = [
      ...scalars.flatMap((scalar) => encodings(scalar)),
      // A plaintext window of the patient's own upload, raw and base64 (three alignments).
      ...encodings(ownPhoto.subarray(64, 160)),
      // PKCS#8 for a P-256 key (version 0, id-ecPublicKey, prime256v1), in DER.
      Buffer.from('020100301306072a8648ce3d020106082a8648ce3d030107', 'hex'),
    ];
    for (const request of sent) {
      const haystack = Buffer.concat([
        Buffer.from(`${request.url}\n${JSON.stringify(request.headers)}\n`),
        request.body,
      ]);
      for (const needle of forbidden) expect(haystack.includes(needle)).toBe(false);
      // A JWK private key has a "d" member.
      expect(/"d"\s*:/.test(haystack.toString('latin1'))).toBe(false);
    }
  });

  it('#13 a patient who claims in the page sets up keys through the harness, which hands back the code it was shown', async () => {
    const second = `P-K${randomBytes(2).toString('hex').toUpperCase()}`;
    const enrolled = await api('/patients', clinic.token, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ patientId: second }),
    });
    const { claimCode } = (await enrolled.json()) as { claimCode: string };
    const keys: { recoveryCode?: string | null } = {};
    const tab = await openTab();
    await claimInPage(tab, claimCode, `${second} (patient)`, keys);
    expect(keys.recoveryCode).toMatch(GROUPED_RECOVERY_CODE);
    expect(await keysStep(tab)).toBe('ready');
  });
});

/** How many patients' keys this browser profile keeps (0 when the store was never created). */
async function storedKeyCount(tab: Page): Promise<number> {
  return tab.evaluate(async () => {
    const database = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('patient-centric-emr');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    if (!database.objectStoreNames.contains('patient-keys')) {
      database.close();
      return 0;
    }
    const count = await new Promise<number>((resolve, reject) => {
      const request = database.transaction('patient-keys').objectStore('patient-keys').count();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    database.close();
    return count;
  });
}

interface SentRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Keeps every request a browser profile sends (URL, headers, body), whichever page sent it. */
function recordRequests(context: BrowserContext, into: SentRequest[]): void {
  context.on('request', (request) => {
    into.push({
      url: request.url(),
      method: request.method(),
      headers: request.headers(),
      body: request.postDataBuffer() ?? Buffer.alloc(0),
    });
  });
}

/** Bytes as they could travel: raw, hex (both cases), base64 and base64url at each of the three alignments. */
function encodings(bytes: Uint8Array): Buffer[] {
  const raw = Buffer.from(bytes);
  const out = [raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('hex').toUpperCase())];
  for (let shift = 0; shift < 3; shift++) {
    const part = raw.subarray(shift, shift + Math.floor((raw.length - shift) / 3) * 3);
    out.push(Buffer.from(part.toString('base64')), Buffer.from(part.toString('base64url')));
  }
  return out;
}

/** The key backup opened with the recovery code (spec §4): the encryption and signing private scalars. */
function openBackup(
  recoveryCode: string,
  answer: { backup: string; encryptionPublicKey: string; signingPublicKey: string },
): Buffer[] {
  const backup = Buffer.from(answer.backup, 'base64');
  const domain = Buffer.from('patient-centric-emr/key-backup/v1');
  const code = Buffer.from(recoveryCode.toUpperCase().replace(/[-\s]/g, ''));
  const salt = backup.subarray(1, 17);
  const nonce = backup.subarray(17, 29);
  const key = Buffer.from(hkdfSync('sha256', code, salt, domain, 32));
  const aes = createDecipheriv('aes-256-gcm', key, nonce);
  aes.setAAD(
    Buffer.concat([
      domain,
      Buffer.from(answer.encryptionPublicKey.slice(2), 'hex'),
      Buffer.from(answer.signingPublicKey.slice(2), 'hex'),
    ]),
  );
  aes.setAuthTag(backup.subarray(backup.length - 16));
  const plain = Buffer.concat([aes.update(backup.subarray(29, backup.length - 16)), aes.final()]);
  return [plain.subarray(0, 32), plain.subarray(32, 64)];
}
