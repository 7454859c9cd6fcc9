// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, LaunchedBrowser } from './support/browser';
import { claimInPage, GROUPED_CLAIM_CODE, TOKEN } from './support/claim';
import { expectNoTabProblems, openStoryTab, signIn, startStoryBrowser } from './support/consent-story';
import { assertNoRawProblem, PageProbe, shot, unlabelledControls, visibleCardTitles } from './support/page';
import { scanPng } from './support/png';
import { RunningServer } from './support/server';

/**
 * The consent story of README.md ("Consent: the patient decides who reads"), told through the
 * page only, part one: the operator creates both providers, provider A enrols the patient and
 * uploads a scan. Each gets a claim code from whoever created them and claims it in a tab of
 * their own; every token used is one the page showed to its owner alone. consent-story.browser-spec.ts
 * goes on from there (consent given, used, revoked, an emergency read, the access log).
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

  let admin: Page;
  let clinicPage: Page;

  const openTab = (): Promise<Page> => openStoryTab(context, probe, pages, server.baseUrl);

  beforeAll(async () => {
    ({ server, browser, context } = await startStoryBrowser());
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await expectNoTabProblems(pages, probe);
  });

  it('the operator signs in and sees only "Create a provider": nothing medical', async () => {
    admin = await openTab();
    await signIn(admin, server.adminToken!, 'admin (admin)');
    expect(await visibleCardTitles(admin)).toEqual(['Create a provider']);
    for (const card of ['#upload-card', '#retrieve-card', '#enrol-card', '#consents-card', '#log-card']) {
      expect({ card, hidden: await admin.locator(card).isHidden() }).toEqual({ card, hidden: true });
    }
    expect(await admin.evaluate(() => document.activeElement?.id)).toBe('provider-id');
    expect(await unlabelledControls(admin)).toEqual([]);
  });

  it('the operator creates two providers; each token is shown once, with a copy button', async () => {
    for (const provider of [clinic, hospital]) {
      await admin.locator('#provider-card').getByLabel('Provider ID').fill(provider.id);
      await admin.locator('#provider-card').getByLabel('Name').fill(provider.name);
      const created = admin.waitForResponse((r) => r.url().endsWith('/api/v1/providers'));
      await admin.getByRole('button', { name: 'Create provider' }).click();
      expect((await created).status()).toBe(201);

      const reveal = admin.locator('#provider-reveal');
      await reveal.waitFor();
      expect(await admin.locator('#provider-reveal-title').textContent()).toBe(
        `${provider.name} (${provider.id}) can now sign in`,
      );
      expect(await reveal.textContent()).toContain(
        `Give this claim code to ${provider.name}; nobody else will ever see their token.`,
      );
      expect(await admin.locator('#provider-expiry').textContent()).toMatch(/^Valid until /);
      const code = await admin.locator('#provider-card').getByLabel('Claim code, shown once').inputValue();
      expect(code).toMatch(GROUPED_CLAIM_CODE);
      expect(await admin.content()).not.toMatch(/emr_[A-Za-z0-9_-]{20,}/);
      expect(await admin.evaluate(() => document.activeElement?.id)).toBe('provider-reveal-title');

      await admin.getByRole('button', { name: 'Copy claim code' }).click();
      await admin.locator('#provider-copy-status', { hasText: 'Claim code copied' }).waitFor();
      expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(code);
      if (provider === clinic) await shot(admin, 'consent-01-provider-created', { fullPage: false });

      await admin.getByRole('button', { name: 'Done: hide the claim code' }).click();
      expect(await reveal.isHidden()).toBe(true);
      expect(await admin.content()).not.toContain(code);

      // The provider claims the code in a tab of their own: the token is shown there, once, to them alone.
      const own = await openTab();
      provider.token = await claimInPage(own, code, `${provider.id} (provider)`);
      expect(provider.token).toMatch(TOKEN);
      expect(await own.locator('#token-reveal').textContent()).toContain('Keep it safe: it will not be shown again.');
      await own.getByRole('button', { name: 'Copy token' }).click();
      await own.locator('#token-copy-status', { hasText: 'Token copied' }).waitFor();
      expect(await own.evaluate(() => navigator.clipboard.readText())).toBe(provider.token);
      await own.getByRole('button', { name: 'Done: hide the token' }).click();
      expect(await own.content()).not.toContain(provider.token);
    }

    // The same ID again: a sentence next to the Provider ID field.
    await admin.locator('#provider-card').getByLabel('Provider ID').fill(clinic.id);
    await admin.locator('#provider-card').getByLabel('Name').fill('Another clinic');
    await admin.getByRole('button', { name: 'Create provider' }).click();
    const error = admin.locator('#provider-id-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      `A provider with the ID ${clinic.id} already exists. Choose another ID, or give it a new claim code if it lost its own.`,
    );
    expect(await admin.locator('#provider-reveal').isHidden()).toBe(true);
    expect(await admin.getByRole('button', { name: `Give ${clinic.id} a new claim code` }).isVisible()).toBe(true);
    await assertNoRawProblem(admin);
    await shot(admin, 'consent-02-provider-id-taken', { fullPage: false });
  });

  it('provider A enrols the patient: the patient’s token is shown once', async () => {
    clinicPage = await openTab();
    await signIn(clinicPage, clinic.token, `${clinic.id} (provider)`);
    expect(await visibleCardTitles(clinicPage)).toEqual(['Enrol a patient', 'Upload a record', 'Retrieve records']);

    await clinicPage.locator('#enrol-card').getByLabel('Patient ID').fill(patient.id);
    await clinicPage.getByRole('button', { name: 'Enrol patient' }).click();
    const reveal = clinicPage.locator('#enrol-reveal');
    await reveal.waitFor();
    expect(await clinicPage.locator('#enrol-reveal-title').textContent()).toBe(`${patient.id} is enrolled`);
    expect(await reveal.textContent()).toContain(
      `Give this claim code to ${patient.id}; nobody else will ever see their token.`,
    );
    const code = await clinicPage.locator('#enrol-card').getByLabel('Claim code, shown once').inputValue();
    expect(code).toMatch(GROUPED_CLAIM_CODE);
    await clinicPage.locator('#enrol-card').getByRole('button', { name: 'Copy claim code' }).click();
    await clinicPage.locator('#enrol-copy-status', { hasText: 'Claim code copied' }).waitFor();
    expect(await clinicPage.evaluate(() => navigator.clipboard.readText())).toBe(code);
    await shot(clinicPage, 'consent-03-patient-enrolled', { fullPage: false });

    // The shortcut fills the upload form; "Done" takes the claim code off the page for good.
    await clinicPage.getByRole('button', { name: 'Upload a record for this patient' }).click();
    expect(await clinicPage.locator('#upload-patient').inputValue()).toBe(patient.id);
    await clinicPage.getByRole('button', { name: 'Done: hide the claim code' }).click();
    expect(await reveal.isHidden()).toBe(true);
    expect(await clinicPage.content()).not.toContain(code);

    // The patient claims it in a tab of their own: their token is shown there once, and nowhere else.
    const patientTab = await openTab();
    patient.token = await claimInPage(patientTab, code, `${patient.id} (patient)`);
    expect(patient.token).toMatch(TOKEN);
    expect(await clinicPage.content()).not.toContain(patient.token);
    await patientTab.getByRole('button', { name: 'Done: hide the token' }).click();

    // Enrolling again cannot show the claim code a second time.
    await clinicPage.locator('#enrol-card').getByLabel('Patient ID').fill(patient.id);
    await clinicPage.getByRole('button', { name: 'Enrol patient' }).click();
    const error = clinicPage.locator('#enrol-patient-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      `${patient.id} is already enrolled. Their claim code was shown once and cannot be shown again; if they lost it or signed out everywhere, give them a new one.`,
    );
    expect(await reveal.isHidden()).toBe(true);
    expect(await clinicPage.getByRole('button', { name: `Give ${patient.id} a new claim code` }).isVisible()).toBe(
      true,
    );
  });

  it('provider A uploads a scan for the patient', async () => {
    const upload = clinicPage.locator('#upload-card');
    await upload.getByRole('radio', { name: 'SUPchain' }).check();
    await upload
      .getByLabel('File', { exact: true })
      .setInputFiles({ name: 'chest-xray.png', mimeType: 'image/png', buffer: scan });
    await upload.getByRole('button', { name: 'Upload' }).click();
    await clinicPage
      .locator('#upload-status', { hasText: 'Stored version 1 of chest-xray.png on SUPchain.' })
      .waitFor();
    expect(
      await clinicPage.locator('#upload-result .meta__row', { hasText: 'Uploaded by' }).locator('dd').textContent(),
    ).toBe(clinic.id);
    await shot(clinicPage, 'consent-04-clinic-uploaded');
  });
});
