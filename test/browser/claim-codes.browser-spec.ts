// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { setUpProvider, TestProvider } from './support/access';
import { chromiumAvailable, LaunchedBrowser } from './support/browser';
import {
  CLAIM_CODE_REFUSED,
  claimInPage,
  claimRefused,
  GROUPED_CLAIM_CODE,
  TOKEN,
  TOKEN_ANYWHERE,
} from './support/claim';
import { expectNoTabProblems, openStoryTab, signIn, startStoryBrowser } from './support/consent-story';
import { assertNoRawProblem, PageProbe, shot, TOKEN_STORAGE_KEY, visibleCardTitles } from './support/page';
import { RunningServer } from './support/server';

const describeWithChromium = chromiumAvailable() ? describe : describe.skip;

/**
 * #13 claim codes in the page: a provider enrols a patient and is given a claim code, never a
 * token; the patient claims it in a tab of their own and is the only one who ever sees their
 * token; the code works once; "New token" and "Sign out everywhere" do what they say.
 */
describeWithChromium('#13 claim codes instead of handed-over tokens', () => {
  let server: RunningServer;
  let browser: LaunchedBrowser;
  let context: BrowserContext;
  const probe: PageProbe = { cspViolations: [], pageErrors: [] };
  const pages: Page[] = [];
  const patientId = `P-C${randomBytes(2).toString('hex').toUpperCase()}`;

  let provider: TestProvider;
  let providerPage: Page;
  let patientPage: Page;
  let claimCode = '';
  let patientToken = '';
  /** Every response the provider's tab received, with its body. */
  const providerResponses: { url: string; status: number; body: string }[] = [];
  const pendingBodies: Promise<void>[] = [];

  const openTab = (): Promise<Page> => openStoryTab(context, probe, pages, server.baseUrl);
  const me = (token: string): Promise<number> =>
    fetch(`${server.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);

  beforeAll(async () => {
    ({ server, browser, context } = await startStoryBrowser());
    provider = (await setUpProvider(server.baseUrl, server.adminToken))!;
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(async () => {
    await expectNoTabProblems(pages, probe);
  });

  it('#13 a provider enrols a patient and sees a claim code, and no token anywhere on the page or in any response', async () => {
    providerPage = await openTab();
    providerPage.on('response', (response: Response) => {
      pendingBodies.push(
        response
          .text()
          .catch(() => '')
          .then((body) => {
            providerResponses.push({ url: response.url(), status: response.status(), body });
          }),
      );
    });
    await signIn(providerPage, provider.token, `${provider.providerId} (provider)`);

    await providerPage.locator('#enrol-card').getByLabel('Patient ID').fill(patientId);
    const enrolled = providerPage.waitForResponse((r) => r.url().endsWith('/api/v1/patients'));
    await providerPage.getByRole('button', { name: 'Enrol patient' }).click();
    expect((await enrolled).status()).toBe(201);
    await providerPage.locator('#enrol-reveal').waitFor();

    claimCode = await providerPage.locator('#enrol-card').getByLabel('Claim code, shown once').inputValue();
    expect(claimCode).toMatch(GROUPED_CLAIM_CODE);
    expect(await providerPage.locator('#enrol-reveal').textContent()).toContain(
      `Give this claim code to ${patientId}; nobody else will ever see their token.`,
    );
    expect(await providerPage.locator('#enrol-expiry').textContent()).toMatch(/^Valid until .+\d/);
    await shot(providerPage, 'claim-01-enrolled', { fullPage: false });

    await Promise.all(pendingBodies.splice(0));
    const enrolAnswer = providerResponses.find((r) => r.url.endsWith('/api/v1/patients'));
    // #13: no key pair is made for the patient at enrolment (their keys are born in their browser).
    expect(JSON.parse(enrolAnswer?.body ?? '{}')).toEqual({
      patientId,
      claimCode: expect.any(String),
      claimExpiresAt: expect.any(String),
      enrolledBy: provider.providerId,
    });
    const withToken = providerResponses.filter((r) => TOKEN_ANYWHERE.test(r.body) || /"token"/.test(r.body));
    expect(withToken.map((r) => r.url)).toEqual([]);
    const shown = await providerPage.content();
    expect(shown).not.toMatch(TOKEN_ANYWHERE);
    expect(await providerPage.locator('main').innerText()).not.toMatch(/emr_/);
  });

  it('#13 the patient claims in a fresh tab with that code and is signed in; the token is shown once, to them', async () => {
    patientPage = await openTab();
    // Typed as people do: lower case, spaces instead of dashes.
    const typed = claimCode.toLowerCase().replace(/-/g, ' ');
    patientToken = await claimInPage(patientPage, typed, `${patientId} (patient)`);
    expect(patientToken).toMatch(TOKEN);
    expect(await patientPage.evaluate((key) => sessionStorage.getItem(key), TOKEN_STORAGE_KEY)).toBe(patientToken);
    expect(patientPage.url()).not.toContain(patientToken);
    expect(await patientPage.locator('#token-reveal').textContent()).toContain(
      'Keep it safe: it will not be shown again.',
    );
    expect(await patientPage.locator('#session-about').textContent()).toMatch(
      new RegExp(`^Enrolled by ${provider.providerId} on .+\\d · claimed on .+\\d$`),
    );
    await patientPage.getByRole('button', { name: 'Copy token' }).click();
    await patientPage.locator('#token-copy-status', { hasText: 'Token copied' }).waitFor();
    expect(await patientPage.evaluate(() => navigator.clipboard.readText())).toBe(patientToken);
    await shot(patientPage, 'claim-02-claimed', { fullPage: false });

    await patientPage.getByRole('button', { name: 'Done: hide the token' }).click();
    expect(await patientPage.locator('#token-reveal').isHidden()).toBe(true);
    expect(await patientPage.content()).not.toContain(patientToken);
    expect(await visibleCardTitles(patientPage)).toEqual([
      'Upload to my record',
      'Consents',
      'My records',
      'Access log',
    ]);

    // Nothing the provider's tab ever received holds the patient's token.
    await Promise.all(pendingBodies.splice(0));
    expect(providerResponses.filter((r) => r.body.includes(patientToken)).map((r) => r.url)).toEqual([]);
    expect(await providerPage.content()).not.toContain(patientToken);
  });

  it('#13 the code does not work twice: a clear sentence, and nobody is signed in', async () => {
    const again = await openTab();
    expect(await claimRefused(again, claimCode)).toBe(CLAIM_CODE_REFUSED);
    expect(await again.locator('#session-who').textContent()).toBe('Not signed in');
    expect(await again.evaluate((key) => sessionStorage.getItem(key), TOKEN_STORAGE_KEY)).toBeNull();
    await assertNoRawProblem(again);
    await shot(again, 'claim-03-code-used', { fullPage: false });

    // A code that cannot be one is refused by the page itself, before any request.
    let claims = 0;
    again.on('request', (request) => {
      if (request.url().endsWith('/api/v1/claims')) claims += 1;
    });
    await again.getByLabel('Claim code', { exact: true }).fill('12345');
    await again.getByRole('button', { name: 'Use claim code' }).click();
    await again.locator('#claim-code-error', { hasText: 'A claim code has 20 letters and digits' }).waitFor();
    expect(claims).toBe(0);
  });

  it('#13 "New token" shows a new token once; the old one stops working at once', async () => {
    const rotated = patientPage.waitForResponse((r) => r.url().endsWith('/api/v1/me/token'));
    await patientPage.getByRole('button', { name: 'New token' }).click();
    expect((await rotated).status()).toBe(201);
    await patientPage.locator('#token-reveal').waitFor();
    expect(await patientPage.locator('#token-reveal-title').textContent()).toBe('Your new access token');
    const fresh = await patientPage.getByLabel('Your access token, shown once').inputValue();
    expect(fresh).toMatch(TOKEN);
    expect(fresh).not.toBe(patientToken);
    expect(await me(patientToken)).toBe(401);
    expect(await me(fresh)).toBe(200);

    // The page goes on with the new one: a reload stays signed in.
    await patientPage.getByRole('button', { name: 'Done: hide the token' }).click();
    await patientPage.reload();
    await patientPage.locator('#session-who', { hasText: `Signed in as ${patientId} (patient)` }).waitFor();
    patientToken = fresh;
  });

  it('#13 "Sign out everywhere": no token works any more, in any tab; a new claim code brings the patient back', async () => {
    const second = await openTab();
    await signIn(second, patientToken, `${patientId} (patient)`);

    const ended = patientPage.waitForResponse((r) => r.url().endsWith('/api/v1/me/tokens'));
    await patientPage.getByRole('button', { name: 'Sign out everywhere' }).click();
    expect((await ended).status()).toBe(204);
    await patientPage.locator('#sign-in-notice', { hasText: 'You have signed out everywhere' }).waitFor();
    expect(await visibleCardTitles(patientPage)).toEqual(['Sign in']);
    expect(await me(patientToken)).toBe(401);

    // The other tab still holds the token, which no longer works: its next request ends its session.
    await second.getByRole('button', { name: 'Refresh' }).click();
    await second.locator('#sign-in-notice', { hasText: 'Your session has ended.' }).waitFor();
    await shot(patientPage, 'claim-04-signed-out-everywhere', { fullPage: false });

    // To come back: the provider gives the patient a new claim code in the enrol card.
    await providerPage.locator('#enrol-card').getByLabel('Patient ID').fill(patientId);
    await providerPage.getByRole('button', { name: 'Enrol patient' }).click();
    const reissue = providerPage.getByRole('button', { name: `Give ${patientId} a new claim code` });
    await reissue.waitFor();
    const issued = providerPage.waitForResponse((r) => r.url().endsWith(`/patients/${patientId}/claim-code`));
    await reissue.click();
    expect((await issued).status()).toBe(201);
    await providerPage.locator('#enrol-reveal-title', { hasText: `A new claim code for ${patientId}` }).waitFor();
    const newCode = await providerPage.locator('#enrol-card').getByLabel('Claim code, shown once').inputValue();
    expect(newCode).toMatch(GROUPED_CLAIM_CODE);
    expect(newCode).not.toBe(claimCode);
    await shot(providerPage, 'claim-05-new-code', { fullPage: false });
    await providerPage.getByRole('button', { name: 'Done: hide the claim code' }).click();

    // In the tab whose session ended: the page reloads (nothing of the old session stays) and shows the token once.
    const back = await claimInPage(second, newCode, `${patientId} (patient)`);
    expect(await me(back)).toBe(200);
    // Nothing the provider's tab received, from the first enrolment to this code, held a token.
    await Promise.all(pendingBodies.splice(0));
    expect(providerResponses.filter((r) => TOKEN_ANYWHERE.test(r.body)).map((r) => r.url)).toEqual([]);
    expect(providerResponses.filter((r) => r.body.includes(back)).map((r) => r.url)).toEqual([]);
  });

  it('#13 the operator gives a provider a new claim code in the page; the provider claims it and sees who created them', async () => {
    const admin = await openTab();
    await signIn(admin, server.adminToken!, 'admin (admin)');
    expect(await admin.getByRole('button', { name: 'New token' }).isHidden()).toBe(true);
    await admin.locator('#provider-card').getByLabel('Provider ID').fill(provider.providerId);
    await admin.locator('#provider-card').getByLabel('Name').fill('Browser Test Clinic');
    await admin.getByRole('button', { name: 'Create provider' }).click();
    const reissue = admin.getByRole('button', { name: `Give ${provider.providerId} a new claim code` });
    await reissue.waitFor();
    const issued = admin.waitForResponse((r) => r.url().endsWith(`/providers/${provider.providerId}/claim-code`));
    await reissue.click();
    expect((await issued).status()).toBe(201);
    await admin.locator('#provider-reveal-title', { hasText: `A new claim code for ${provider.providerId}` }).waitFor();
    const code = await admin.locator('#provider-card').getByLabel('Claim code, shown once').inputValue();
    expect(code).toMatch(GROUPED_CLAIM_CODE);
    expect(await admin.content()).not.toMatch(TOKEN_ANYWHERE);

    const own = await openTab();
    const token = await claimInPage(own, code, `${provider.providerId} (provider)`);
    expect(await me(token)).toBe(200);
    expect(await own.locator('#session-about').textContent()).toMatch(/^Created by admin on .+\d · claimed on .+\d$/);
    expect(await admin.content()).not.toContain(token);
  });

  // Last: it locks this address out of claiming for the rest of the hour.
  it('#13 guessing codes from one address is stopped: after the limit, a sentence with how long to wait', async () => {
    const guesser = await openTab();
    let limited: Response | null = null;
    for (let attempt = 0; attempt < 20 && !limited; attempt += 1) {
      const guess = randomBytes(10).toString('hex').toUpperCase(); // 20 characters, all Crockford base32
      await guesser.getByLabel('Claim code', { exact: true }).fill(guess);
      const answered = guesser.waitForResponse((r) => r.url().endsWith('/api/v1/claims'));
      await guesser.getByRole('button', { name: 'Use claim code' }).click();
      const answer = await answered;
      if (answer.status() === 429) limited = answer;
      else expect(answer.status()).toBe(404);
    }
    expect(limited?.headers()['retry-after']).toMatch(/^\d+$/);
    await guesser.locator('#claim-code-error', { hasText: 'Too many claim codes that did not work' }).waitFor();
    expect(await guesser.locator('#claim-code-error').textContent()).toMatch(
      /^Too many claim codes that did not work were tried from here\. Try again in \d+ (s|min)\.$/,
    );
    expect(await guesser.locator('#session-who').textContent()).toBe('Not signed in');
    await assertNoRawProblem(guesser);
    await shot(guesser, 'claim-06-limited', { fullPage: false });
  });
});
