import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumAvailable, LaunchedBrowser } from './support/browser';
import {
  expectNoTabProblems,
  grantInPage,
  openStoryTab,
  setUpOnboardedStory,
  signIn,
  startStoryBrowser,
} from './support/consent-story';
import { PageProbe, shot } from './support/page';
import { scanPng } from './support/png';
import { RunningServer } from './support/server';

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

/** The access log's first page holds this many entries (the service's default). */
const FIRST_PAGE = 100;

/**
 * #11.2 in the page: a provider reads once in an emergency, then floods the log with more
 * consented reads than a page holds. The patient's page still shows the emergency read and
 * counts it, because it asks the service for emergency entries apart (kind=emergency) whenever
 * X-Emergency-Count says the first page lacks some.
 */
describeWithChromium('the patient’s access log in a flood', () => {
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let context: BrowserContext;
  const probe: PageProbe = { cspViolations: [], pageErrors: [] };
  const pages: Page[] = [];
  const suffix = randomBytes(2).toString('hex');
  const clinic = { id: `flood-clinic-${suffix}`, name: 'Flood Clinic', token: '' };
  const hospital = { id: `flood-hospital-${suffix}`, name: 'Flood Hospital', token: '' };
  const patient = { id: `P-F${randomBytes(2).toString('hex').toUpperCase()}`, token: '' };
  const reason = 'Unconscious on arrival, no relative reachable';

  const apiCall = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${server.baseUrl}/api/v1/patients/${patient.id}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });

  beforeAll(async () => {
    ({ server, browser, context } = await startStoryBrowser());
    await setUpOnboardedStory(
      server.baseUrl,
      server.adminToken!,
      { clinic, hospital, patient },
      scanPng({ width: 320, height: 240, seed: 31 }),
    );
    const emergency = await apiCall('/records/latest?chain=supchain', hospital.token, {
      headers: { 'X-Break-Glass-Reason': reason },
    });
    expect(emergency.status).toBe(200);
    // Consent is the patient's signature (#14): given in the page, with keys set up there.
    const patientTab = await openStoryTab(context, probe, pages, server.baseUrl);
    await signIn(patientTab, patient.token, `${patient.id} (patient)`);
    await grantInPage(patientTab, hospital.id);
    for (let i = 0; i <= FIRST_PAGE; i += 1) {
      expect((await apiCall('/records?chain=supchain&limit=1', hospital.token)).status).toBe(200);
    }
    // Until the flood is on the ledger, entries still journaled are all listed on the first page.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const log = await apiCall('/access-log', patient.token);
      const entries = (await log.json()) as { kind: string }[];
      if (entries.length === FIRST_PAGE && entries.every((entry) => entry.kind !== 'emergency')) break;
      if (Date.now() > deadline) throw new Error('the flood did not reach the ledger in time');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await expectNoTabProblems(pages, probe);
  });

  it('#11.2 still shows and counts the emergency read that the first page no longer holds', async () => {
    const tab = await openStoryTab(context, probe, pages, server.baseUrl);
    await signIn(tab, patient.token, `${patient.id} (patient)`);
    await tab.getByRole('button', { name: 'Refresh' }).click();
    await tab.locator('#log-status', { hasText: 'Access log updated' }).waitFor();

    const emergency = tab.locator('#log-list li[data-emergency="true"]');
    expect(await emergency.count()).toBe(1);
    expect((await emergency.innerText()).replace(/\s+/g, ' ')).toContain(`Reason given: “${reason}”`);
    expect(await tab.locator('#log-summary').innerText()).toContain(
      '1 read was made in an emergency, without your consent.',
    );
    expect(await tab.locator('#log-list li').count()).toBe(FIRST_PAGE + 1);
    await shot(tab, 'flood-01-emergency-still-shown', { fullPage: false });
  });
});
