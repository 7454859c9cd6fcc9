// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, LaunchedBrowser } from './support/browser';
import {
  expectConsentRefused,
  expectNoTabProblems,
  expectSignedForEachLedger,
  expectSignedGrant,
  openStoryTab,
  SignedGrantBody,
  retrieveOnSupchain,
  setUpOnboardedStory,
  signIn,
  startStoryBrowser,
} from './support/consent-story';
import {
  imageShown,
  PageProbe,
  pageWidths,
  sha256,
  shot,
  shotSlices,
  shownImageSha256,
  TOKEN_STORAGE_KEY,
  unlabelledControls,
  visibleCardTitles,
} from './support/page';
import { scanPng } from './support/png';
import { RunningServer } from './support/server';

/**
 * The consent story of README.md ("Consent: the patient decides who reads"), told through the
 * page, part two: provider B is refused, the patient gives consent, B reads, the patient revokes,
 * B reads in an emergency, the patient sees it in the access log. Each test continues from the
 * last. Since issue 14 the grants and the revoke are signed in the page with the patient's own key
 * (one signature per ledger, checked by each ledger's contract), and the page shows each consent's
 * signature and the ledgers' history, verified in the browser. It starts where consent-story-onboarding.browser-spec.ts ends, set up through the API:
 * both providers, the patient enrolled by provider A, provider A's scan on SUPchain.
 */
const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

describeWithChromium('consent story in a real browser', () => {
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let context: BrowserContext;
  const probe: PageProbe = { cspViolations: [], pageErrors: [] };
  const pages: Page[] = [];

  const suffix = randomBytes(2).toString('hex');
  const clinic = { id: `north-clinic-${suffix}`, name: 'North Clinic Radiology', token: '' };
  const hospital = { id: `city-hospital-${suffix}`, name: 'City Hospital Emergency Department', token: '' };
  const patient = { id: `P-${randomBytes(2).toString('hex').toUpperCase()}`, token: '' };
  const scan = scanPng({ width: 800, height: 620, seed: 21 });
  // Typed with a typographic apostrophe, as phones and office keyboards insert it.
  const reasonTyped = 'Unconscious in ED after a road accident; patient’s GP unreachable';
  const reasonSent = "Unconscious in ED after a road accident; patient's GP unreachable";

  let hospitalPage: Page;
  let patientPage: Page;

  const openTab = (): Promise<Page> => openStoryTab(context, probe, pages, server.baseUrl);

  const retrieveAsProvider = (tab: Page): Promise<number> => retrieveOnSupchain(tab, patient.id);
  const expectRefused = (tab: Page): Promise<void> => expectConsentRefused(tab, patient.id, hospital.id);

  /** Waits until the page lists exactly `count` changes in the consent history. */
  const historyCount = (tab: Page, count: number): Promise<unknown> =>
    tab.waitForFunction((n) => document.querySelectorAll('#consent-history li').length === n, count);

  beforeAll(async () => {
    ({ server, browser, context } = await startStoryBrowser());
    await setUpOnboardedStory(server.baseUrl, server.adminToken!, { clinic, hospital, patient }, scan);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await expectNoTabProblems(pages, probe);
  });

  it('provider B is refused with a plain sentence, and offered emergency access', async () => {
    hospitalPage = await openTab();
    await signIn(hospitalPage, hospital.token, `${hospital.id} (provider)`);
    let listed = 0;
    const countLists = (request: { url(): string }): void => {
      if (/\/records\?/.test(request.url())) listed += 1;
    };
    hospitalPage.on('request', countLists);
    expect(await retrieveAsProvider(hospitalPage)).toBe(403);
    await expectRefused(hospitalPage);
    hospitalPage.off('request', countLists);
    // A refused read does not go on to list (and so log) the history.
    expect(listed).toBe(0);
    expect(await hospitalPage.locator('#emergency-offer').textContent()).toContain(
      `If ${patient.id} needs care now and cannot give consent, you can still open their records.`,
    );
    await shot(hospitalPage, 'consent-05-hospital-refused');
  });

  it('#14 the patient signs in to their own record and gives provider B consent, signed in the page', async () => {
    patientPage = await openTab();
    await signIn(patientPage, patient.token, `${patient.id} (patient)`);
    expect(await visibleCardTitles(patientPage)).toEqual([
      'Upload to my record',
      'Consents',
      'My records',
      'Access log',
    ]);
    expect(await unlabelledControls(patientPage)).toEqual([]);
    for (const id of ['#upload-patient', '#retrieve-patient']) {
      expect(await patientPage.locator(id).inputValue()).toBe(patient.id);
      expect(await patientPage.locator(id).getAttribute('readonly')).not.toBeNull();
    }
    await patientPage.locator('#consents-empty').waitFor();
    expect(await patientPage.locator('#consents-empty').textContent()).toBe('You have not given any provider consent.');

    const consents = patientPage.locator('#consents-card');
    // An ID no provider has, and an expiry in the past: each explained next to its field.
    await consents.getByLabel('Provider ID').fill('no-such-clinic');
    await consents.getByRole('button', { name: 'Give consent' }).click();
    await patientPage.locator('#grant-provider-error').waitFor();
    expect(await patientPage.locator('#grant-provider-error').textContent()).toBe(
      'No provider with the ID no-such-clinic exists. Check the ID with your clinic or hospital.',
    );
    await consents.getByLabel('Provider ID').fill(hospital.id);
    await consents.getByLabel('Until (optional)').fill('2020-01-01T10:00');
    await consents.getByRole('button', { name: 'Give consent' }).click();
    expect(await patientPage.locator('#grant-expires-error').textContent()).toBe(
      'Choose a date and time in the future, or leave it empty.',
    );
    expect(await patientPage.locator('#grant-provider-error').isHidden()).toBe(true);

    // Provider A for a limited time, provider B until revoked.
    const nextYear = new Date().getUTCFullYear() + 1;
    await consents.getByLabel('Provider ID').fill(clinic.id);
    await consents.getByLabel('Until (optional)').fill(`${nextYear}-01-31T17:30`);
    const grantA = patientPage.waitForResponse((r) => r.url().endsWith('/consents') && r.request().method() === 'POST');
    await consents.getByRole('button', { name: 'Give consent' }).click();
    expect((await grantA).status()).toBe(201);
    const bodyA = (await (await grantA).request().postDataJSON()) as SignedGrantBody;
    expectSignedGrant(bodyA, clinic.id);
    expect(bodyA.expiresAt).toBe(`${nextYear}-01-31T17:30:00.000Z`);
    await patientPage.locator('#grant-status', { hasText: `${clinic.id} can now read your records until` }).waitFor();

    await consents.getByLabel('Provider ID').fill(hospital.id);
    const grantB = patientPage.waitForResponse((r) => r.url().endsWith('/consents') && r.request().method() === 'POST');
    await consents.getByRole('button', { name: 'Give consent' }).click();
    const granted = await grantB;
    expect(granted.status()).toBe(201);
    const bodyB = (await granted.request().postDataJSON()) as SignedGrantBody;
    // No expiry; an epoch slot for B and one signature per ledger, each ledger's nonce one on from A's.
    expectSignedGrant(bodyB, hospital.id);
    expect(bodyB.expiresAt).toBeUndefined();
    for (const chain of ['supchain', 'medchain'])
      expect(BigInt(bodyB.signatures[chain].nonce)).toBe(BigInt(bodyA.signatures[chain].nonce) + 1n);
    expect(bodyB.epochSlot).not.toBe(bodyA.epochSlot);
    await patientPage
      .locator('#grant-status', { hasText: `${hospital.id} can now read your records until you revoke it.` })
      .waitFor();

    const rows = patientPage.locator('#consent-list li');
    expect(await rows.evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.providerId))).toEqual([
      hospital.id,
      clinic.id,
    ]);
    const rowB = rows.filter({ hasText: hospital.id });
    expect(await rowB.textContent()).toContain('Until you revoke it');
    expect(await rowB.textContent()).toContain('Active');
    expect(await rows.filter({ hasText: clinic.id }).locator('time').nth(1).getAttribute('datetime')).toBe(
      `${nextYear}-01-31T17:30:00.000Z`,
    );
    await shot(patientPage, 'consent-06-patient-consents');
  });

  it('#14 each consent shows its signature on the ledgers, verified in the browser against the patient’s key', async () => {
    const rows = patientPage.locator('#consent-list li');
    for (const providerId of [hospital.id, clinic.id]) {
      const signature = rows.filter({ hasText: providerId }).locator('.signature');
      await signature.and(patientPage.locator('[data-verified="true"]')).waitFor();
      expect(await signature.textContent()).toBe('✓ Signed by you — verified');
    }
    const history = patientPage.locator('#consent-history li');
    // Two grants, each recorded by both ledgers.
    await historyCount(patientPage, 4);
    expect(await history.evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.action))).toEqual([
      'grant',
      'grant',
      'grant',
      'grant',
    ]);
  });

  it('#14 provider B now reads the image, byte for byte', async () => {
    expect(await retrieveAsProvider(hospitalPage)).toBe(200);
    await imageShown(hospitalPage);
    expect(await shownImageSha256(hospitalPage)).toBe(sha256(scan));
    expect(await hospitalPage.locator('#emergency-offer').isHidden()).toBe(true);
    expect(await hospitalPage.locator('#emergency-banner').isHidden()).toBe(true);
    expect(await hospitalPage.locator('#retrieve-patient-error').isHidden()).toBe(true);
    await shot(hospitalPage, 'consent-07-hospital-reads-with-consent');
  });

  it('#14 the patient revokes provider B’s consent after confirming, signed with a new epoch for A only', async () => {
    const revoke = patientPage.getByRole('button', { name: `Revoke consent for ${hospital.id}` });
    const dialog = patientPage.locator('#revoke-dialog');

    // "Keep consent" changes nothing and puts focus back on the button.
    await revoke.click();
    await dialog.waitFor();
    expect(await patientPage.locator('#revoke-title').textContent()).toBe(`Revoke consent for ${hospital.id}?`);
    expect(await dialog.textContent()).toContain('Copies they already downloaded cannot be taken back.');
    expect(await patientPage.evaluate(() => document.activeElement?.id)).toBe('revoke-cancel');
    await shot(patientPage, 'consent-08-revoke-confirmation', { fullPage: false });
    await patientPage.getByRole('button', { name: 'Keep consent' }).click();
    expect(await dialog.isHidden()).toBe(true);
    expect(await patientPage.evaluate(() => document.activeElement?.textContent)).toContain('Revoke');
    expect(await patientPage.locator('#consent-list li').count()).toBe(2);

    await revoke.click();
    const revoked = patientPage.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith(`/consents/${hospital.id}/revoke`),
    );
    await patientPage.getByRole('button', { name: 'Revoke consent', exact: true }).click();
    expect((await revoked).status()).toBe(204);
    const body = (await (await revoked).request().postDataJSON()) as {
      epoch: { publicKey: string; slots: string[] };
      signatures: SignedGrantBody['signatures'];
    };
    // The new epoch has two slots: the patient's and provider A's (still consented); none for B.
    expect(Object.keys(body).sort()).toEqual(['epoch', 'signatures']);
    expect(body.epoch.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expect(body.epoch.slots).toHaveLength(2);
    expectSignedForEachLedger(body.signatures);
    await patientPage.locator('#consents-status', { hasText: `Consent for ${hospital.id} revoked.` }).waitFor();
    expect(await patientPage.locator(`#consent-list li[data-provider-id="${hospital.id}"]`).count()).toBe(0);
    expect(await patientPage.evaluate(() => document.activeElement?.id)).toBe('consents-title');
  });

  it('#14 provider B is refused again on the very next read', async () => {
    expect(await retrieveAsProvider(hospitalPage)).toBe(403);
    await expectRefused(hospitalPage);
    await shot(hospitalPage, 'consent-09-hospital-refused-again');
  });

  it('#14 the history lists the grants and the revoke from the ledgers, newest first, each verified', async () => {
    const history = patientPage.locator('#consent-history li');
    await historyCount(patientPage, 6);
    const seen = await history.evaluateAll((items) =>
      items.map((item) => {
        const entry = item as HTMLElement;
        return {
          action: entry.dataset.action,
          chain: entry.dataset.chain,
          verified: entry.querySelector('.signature')?.getAttribute('data-verified'),
        };
      }),
    );
    // The revoke on both ledgers first, then B's grant and A's grant on both.
    expect(seen.slice(0, 2).map((entry) => entry.action)).toEqual(['revoke', 'revoke']);
    expect(seen.slice(2).map((entry) => entry.action)).toEqual(['grant', 'grant', 'grant', 'grant']);
    expect(new Set(seen.map((entry) => entry.chain))).toEqual(new Set(['supchain', 'medchain']));
    expect(seen.every((entry) => entry.verified === 'true')).toBe(true);
    const texts = (await history.allInnerTexts()).map((text) => text.replace(/\s+/g, ' '));
    expect(texts[0]).toContain(`You revoked the consent of ${hospital.id}`);
    expect(texts[0]).toContain('✓ Signed by you — verified');
    expect(texts.filter((text) => text.includes(`You gave ${hospital.id} consent until you revoke it`))).toHaveLength(
      2,
    );
    expect(texts.filter((text) => text.includes(`You gave ${clinic.id} consent until`))).toHaveLength(2);
    const times = await history
      .locator('.consent-change__meta time')
      .evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    expect([...times].sort().reverse()).toEqual(times);
    // Provider A keeps its verified consent.
    expect(
      await patientPage.locator(`#consent-list li[data-provider-id="${clinic.id}"] .signature`).textContent(),
    ).toBe('✓ Signed by you — verified');
    await shot(patientPage, 'consent-09b-consent-history');
  });

  it('#14 a signature that does not verify against the patient’s key is shown as a warning', async () => {
    // Another tab of the patient's, where the history the service answers has one byte of each r changed.
    const tampered = await openTab();
    await tampered.route('**/consents/history', async (route) => {
      const response = await route.fetch();
      const changes = (await response.json()) as { r: string }[];
      const flipped = changes.map((change) => ({
        ...change,
        r: `${change.r.slice(0, -2)}${((parseInt(change.r.slice(-2), 16) ^ 1) & 0xff).toString(16).padStart(2, '0')}`,
      }));
      await route.fulfill({ response, json: flipped });
    });
    await signIn(tampered, patient.token, `${patient.id} (patient)`);
    const signature = tampered.locator(`#consent-list li[data-provider-id="${clinic.id}"] .signature`);
    await signature.and(tampered.locator('[data-verified="false"]')).waitFor();
    expect(await signature.textContent()).toContain('does not verify against your key');
    const history = tampered.locator('#consent-history li');
    await historyCount(tampered, 6);
    expect(await tampered.locator('#consent-history .signature[data-verified="true"]').count()).toBe(0);
    expect(await history.first().textContent()).toContain('This signature does not verify against your key.');
    await shot(tampered.locator('#consents-card'), 'consent-09c-signature-warning');
    await tampered.close();
  });

  it('provider B opens the record in an emergency, with a reason, using the keyboard', async () => {
    const open = hospitalPage.getByRole('button', { name: 'Emergency access…' });
    const dialog = hospitalPage.locator('#emergency-dialog');

    // Escape closes the dialog and gives focus back.
    await open.focus();
    await hospitalPage.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await hospitalPage.evaluate(() => document.activeElement?.id)).toBe('emergency-reason');
    await hospitalPage.keyboard.press('Escape');
    expect(await dialog.isHidden()).toBe(true);
    expect(await hospitalPage.evaluate(() => document.activeElement?.id)).toBe('emergency-open');

    await hospitalPage.keyboard.press('Enter');
    await dialog.waitFor();
    expect(await hospitalPage.locator('#emergency-title').textContent()).toBe(
      `Emergency access to ${patient.id}’s records`,
    );
    expect(await dialog.textContent()).toContain('This read is logged and shown to the patient');
    expect(await unlabelledControls(hospitalPage)).toEqual([]);

    // No reason, no read.
    let reads = 0;
    const countReads = (request: { url(): string }): void => {
      if (request.url().includes('/records')) reads += 1;
    };
    hospitalPage.on('request', countReads);
    await hospitalPage.locator('#emergency-submit').focus();
    await hospitalPage.keyboard.press('Enter');
    const error = hospitalPage.locator('#emergency-reason-error');
    await error.waitFor();
    expect(await error.textContent()).toBe('Enter the reason for emergency access.');
    expect(await hospitalPage.evaluate(() => document.activeElement?.id)).toBe('emergency-reason');
    hospitalPage.off('request', countReads);
    expect(reads).toBe(0);

    await hospitalPage.keyboard.type(reasonTyped);
    expect(await hospitalPage.locator('#emergency-reason-count').textContent()).toBe(
      `${reasonTyped.length} of 500 characters`,
    );
    expect(await hospitalPage.getByLabel('Reason').getAttribute('maxlength')).toBe('500');
    await shot(hospitalPage, 'consent-10-emergency-dialog', { fullPage: false });

    const latest = hospitalPage.waitForRequest((r) => r.url().includes('/records/latest'));
    const answered = hospitalPage.waitForResponse((r) => r.url().includes('/records/latest'));
    await hospitalPage.keyboard.press('Tab');
    expect(await hospitalPage.evaluate(() => document.activeElement?.id)).toBe('emergency-submit');
    await hospitalPage.keyboard.press('Enter');
    expect((await latest).headers()['x-break-glass-reason']).toBe(reasonSent);
    expect((await answered).status()).toBe(200);

    await imageShown(hospitalPage);
    expect(await shownImageSha256(hospitalPage)).toBe(sha256(scan));
    const banner = hospitalPage.locator('#emergency-banner');
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toContain('Emergency access');
    expect(await banner.textContent()).toContain(
      `This read is logged and shown to ${patient.id}. Your reason: “${reasonSent}”`,
    );
    expect(await hospitalPage.locator('#retrieve-status').textContent()).toContain('opened under emergency access');
    expect(await hospitalPage.evaluate(() => document.activeElement?.id)).toBe('viewer-title');
    // The history is listed under the same emergency reason (else it would be filtered to B's own uploads).
    expect(await hospitalPage.locator('#history-body tr').count()).toBe(1);
    await shot(hospitalPage, 'consent-11-emergency-read');
  });

  it('the patient’s access log shows the emergency read, flagged in words, with the reason', async () => {
    const refreshed = patientPage.waitForResponse((r) => r.url().endsWith('/access-log'));
    await patientPage.getByRole('button', { name: 'Refresh' }).click();
    await refreshed;
    await patientPage.locator('#log-status', { hasText: 'Access log updated' }).waitFor();

    const entries = patientPage.locator('#log-list li');
    const kinds = await entries.evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.kind));
    expect(new Set(kinds)).toEqual(new Set(['consent', 'emergency']));
    const times = await entries
      .locator('time')
      .evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    expect([...times].sort().reverse()).toEqual(times);

    // Newest first: the emergency read of the record is at the top.
    const emergency = entries.filter({ has: patientPage.locator('.log-entry__flag') });
    expect(await emergency.count()).toBe(2); // the record itself, and its history listing
    const opened = emergency.filter({ hasText: 'opened' });
    const text = (await opened.innerText()).replace(/\s+/g, ' ');
    expect(text).toContain('EMERGENCY ACCESS'); // the flag is words (and an icon), not a colour
    expect(text).toContain(`${hospital.id} (provider) opened chest-xray.png (version 1) on SUPchain`);
    expect(text).toContain(`Reason given: “${reasonSent}”`);
    expect(text).toContain('Emergency, without your consent');
    expect(await opened.getAttribute('data-emergency')).toBe('true');
    expect(await entries.first().getAttribute('data-emergency')).toBe('true');

    const consented = entries.filter({ hasText: 'With your consent' }).filter({ hasText: 'opened' });
    expect(await consented.count()).toBe(1);
    expect(await consented.innerText()).not.toContain('Reason given');
    expect(await patientPage.locator('#log-summary').innerText()).toContain(
      '2 reads were made in an emergency, without your consent.',
    );
    await shot(patientPage, 'consent-12-access-log');
  });

  it('the patient uploads to their own record and reads it back', async () => {
    const upload = patientPage.locator('#upload-card');
    const photo = scanPng({ width: 240, height: 180, seed: 22 });
    await upload.getByRole('radio', { name: 'MEDchain' }).check();
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'rash-photo.png', mimeType: 'image/png', buffer: photo });
    // #13: the patient's upload is locked and signed in the page, and sent to the sealed endpoint.
    const created = patientPage.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith(`/patients/${patient.id}/sealed-records`),
    );
    await upload.getByRole('button', { name: 'Upload' }).click();
    expect((await created).status()).toBe(201);
    await patientPage
      .locator('#upload-status', { hasText: 'Stored version 1 of rash-photo.png on MEDchain.' })
      .waitFor();

    const mine = patientPage.locator('#retrieve-card');
    await mine.getByRole('radio', { name: 'MEDchain' }).check();
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    await imageShown(patientPage);
    expect(await shownImageSha256(patientPage)).toBe(sha256(photo));
    expect(
      await patientPage.locator('#viewer-meta .meta__row', { hasText: 'Uploaded by' }).locator('dd').textContent(),
    ).toBe(patient.id);
    await shot(patientPage, 'consent-13-patient-own-upload');
  });

  it('#14 a record provider A uploads now, sealed to the patient’s current epoch key, opens in the patient’s page', async () => {
    const followUp = scanPng({ width: 200, height: 160, seed: 23 });
    const form = new FormData();
    form.append('chain', 'supchain');
    form.append('file', new Blob([new Uint8Array(followUp)], { type: 'image/png' }), 'follow-up.png');
    const uploaded = await fetch(`${server.baseUrl}/api/v1/patients/${patient.id}/records`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${clinic.token}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const mine = patientPage.locator('#retrieve-card');
    await mine.getByRole('radio', { name: 'SUPchain' }).check();
    // Sealed to the epoch the revoke started (and to the clinic), not to the patient's own key: the
    // page opens it through its slot of that epoch (its epoch keys, looked up again when the ones it
    // knew open nothing — the revoke started a new epoch).
    await mine.getByRole('button', { name: 'Retrieve' }).click();
    await imageShown(patientPage);
    expect(await shownImageSha256(patientPage)).toBe(sha256(followUp));
    expect(
      await patientPage.locator('#viewer-meta .meta__row', { hasText: 'Uploaded by' }).locator('dd').textContent(),
    ).toBe(clinic.id);
  });

  it('fits a 320 px wide phone: the patient’s page and the emergency dialog', async () => {
    await patientPage.setViewportSize({ width: 320, height: 720 });
    const widths = await pageWidths(patientPage);
    expect(widths.document).toBeLessThanOrEqual(320);
    expect(widths.body).toBeLessThanOrEqual(320);
    await shotSlices(patientPage, 'consent-14-patient-phone');
    await patientPage.setViewportSize({ width: 1280, height: 900 });

    await hospitalPage.setViewportSize({ width: 320, height: 720 });
    await hospitalPage.getByRole('button', { name: 'Retrieve' }).click();
    await hospitalPage.getByRole('button', { name: 'Emergency access…' }).click();
    await hospitalPage.locator('#emergency-dialog').waitFor();
    const dialogWidth = await hospitalPage
      .locator('#emergency-dialog')
      .evaluate((dialog) => dialog.getBoundingClientRect().right);
    expect(dialogWidth).toBeLessThanOrEqual(320);
    expect((await pageWidths(hospitalPage)).document).toBeLessThanOrEqual(320);
    await shot(hospitalPage, 'consent-15-emergency-dialog-phone', { fullPage: false });
    await hospitalPage.getByRole('button', { name: 'Cancel' }).click();
    await hospitalPage.setViewportSize({ width: 1280, height: 900 });
  });

  it('signing out leaves nothing of the session on the page', async () => {
    await patientPage.getByRole('button', { name: 'Sign out', exact: true }).click();
    await patientPage.locator('#sign-in-notice', { hasText: 'You have signed out.' }).waitFor();
    expect(await patientPage.evaluate((key) => sessionStorage.getItem(key), TOKEN_STORAGE_KEY)).toBeNull();
    expect(await visibleCardTitles(patientPage)).toEqual(['Sign in']);
    expect(await patientPage.locator('#log-list li').count()).toBe(0);
    expect(await patientPage.locator('#viewer img').count()).toBe(0);
    expect(await patientPage.content()).not.toContain(reasonSent);
    expect(await patientPage.evaluate(() => document.activeElement?.id)).toBe('sign-in-token');
    await shot(patientPage, 'consent-16-signed-out', { fullPage: false });
  });
});
