import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, LaunchedBrowser } from './browser';
import { setUpKeysInPage } from './keys';
import { assertNoRawProblem, installPageProbes, openWithStrictCsp, PageProbe, takeCspViolations, watch } from './page';
import { RunningServer, startServer } from './server';

/**
 * Shared by the consent story's two parts (consent-story-onboarding and consent-story
 * .browser-spec.ts): every actor signs in with a pasted token in a tab of their own
 * (sessionStorage is per tab).
 */

export interface StoryBrowser {
  server: RunningServer;
  browser: LaunchedBrowser;
  context: BrowserContext;
}

/** The service (it must have access control) and Chromium, with clipboard access and the page probes. */
export async function startStoryBrowser(): Promise<StoryBrowser> {
  const server = await startServer();
  const me = await fetch(`${server.baseUrl}/api/v1/me`);
  if (me.status === 404)
    throw new Error('This story needs a server with access control (GET /api/v1/me answered 404).');
  if (!server.adminToken) throw new Error('Set BROWSER_TEST_ADMIN_TOKEN to the server’s ADMIN_TOKEN.');
  const browser = await launchChromium();
  const context = browser.context;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
  await installPageProbes(context);
  return { server, browser, context };
}

/** A new tab on the page, watched by `probe` and remembered in `pages` for the after-each check. */
export async function openStoryTab(
  context: BrowserContext,
  probe: PageProbe,
  pages: Page[],
  baseUrl: string,
): Promise<Page> {
  const tab = await context.newPage();
  watch(tab, probe);
  pages.push(tab);
  await openWithStrictCsp(tab, baseUrl);
  return tab;
}

/** After each test: no CSP violation in any tab and no page error since the last check. */
export async function expectNoTabProblems(pages: readonly Page[], probe: PageProbe): Promise<void> {
  for (const tab of pages) probe.cspViolations.push(...(await takeCspViolations(tab)));
  const found = { cspViolations: probe.cspViolations.splice(0), pageErrors: probe.pageErrors.splice(0) };
  expect(found).toEqual({ cspViolations: [], pageErrors: [] });
}

/**
 * Signs in with a pasted token; a patient then sets up their keys in the page when it asks
 * (issue 13). Returns the recovery code the page showed, or null (nothing to set up: a provider,
 * the operator, or a patient whose keys this browser already holds).
 */
export async function signIn(tab: Page, token: string, who: string): Promise<string | null> {
  await tab.locator('#sign-in').waitFor();
  await tab.getByLabel('Access token', { exact: true }).fill(token);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.locator('#session-who', { hasText: `Signed in as ${who}` }).waitFor();
  return setUpKeysInPage(tab);
}

/** Clicks Retrieve for the patient on SUPchain and returns the HTTP status of the latest-record read. */
export async function retrieveOnSupchain(tab: Page, patientId: string): Promise<number> {
  const card = tab.locator('#retrieve-card');
  await card.getByLabel('Patient ID').fill(patientId);
  await card.getByRole('radio', { name: 'SUPchain' }).check();
  const latest = tab.waitForResponse((r) => r.url().includes('/records/latest'));
  await card.getByRole('button', { name: 'Retrieve' }).click();
  return (await latest).status();
}

/** The refusal a provider without consent sees: a sentence, no record, and the offer of emergency access. */
export async function expectConsentRefused(tab: Page, patientId: string, providerId: string): Promise<void> {
  const error = tab.locator('#retrieve-patient-error');
  await error.waitFor();
  expect(await error.textContent()).toBe(
    `${patientId} has not given your organisation consent to read this record. Ask them to give consent to ${providerId}.`,
  );
  expect(await tab.locator('#retrieve-result').isHidden()).toBe(true);
  expect(await tab.getByRole('button', { name: 'Emergency access…' }).isVisible()).toBe(true);
  await assertNoRawProblem(tab);
}

/** What the page sends to POST …/consents since issue 14: the provider's epoch slot and one signature per ledger. */
export interface SignedGrantBody {
  providerId: string;
  expiresAt?: string;
  epochSlot: string;
  signatures: Record<string, { nonce: string; r: string; s: string }>;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const WORD_HEX = /^0x[0-9a-f]{64}$/;
/** A one-slot v2 key envelope (an epoch slot): 115 bytes, 156 base64 characters. */
const EPOCH_SLOT_BASE64_CHARS = 156;

/**
 * The signatures of a consent change as the page sent them: one per ledger (both embedded chains),
 * each with a decimal nonce and 32-byte r and s. Whether they verify is the ledgers' job (their
 * contract refuses anything else); the page's own check is on screen.
 */
export function expectSignedForEachLedger(signatures: SignedGrantBody['signatures']): void {
  expect(Object.keys(signatures).sort()).toEqual(['medchain', 'supchain']);
  for (const signature of Object.values(signatures)) {
    expect(signature.nonce).toMatch(/^(0|[1-9][0-9]*)$/);
    expect(signature.r).toMatch(WORD_HEX);
    expect(signature.s).toMatch(WORD_HEX);
  }
}

/** The grant body: the provider, an epoch slot for it, signatures for both ledgers. */
export function expectSignedGrant(body: SignedGrantBody, providerId: string): void {
  expect(Object.keys(body).sort()).toEqual(
    ['epochSlot', 'providerId', 'signatures', ...(body.expiresAt === undefined ? [] : ['expiresAt'])].sort(),
  );
  expect(body.providerId).toBe(providerId);
  expect(body.epochSlot).toMatch(BASE64);
  expect(body.epochSlot).toHaveLength(EPOCH_SLOT_BASE64_CHARS);
  expectSignedForEachLedger(body.signatures);
}

/**
 * The patient gives a provider consent through the page's form (signed in the page since issue
 * 14); resolves with the body the page sent once the service answered 201 and the page said so.
 */
export async function grantInPage(tab: Page, providerId: string): Promise<SignedGrantBody> {
  const consents = tab.locator('#consents-card');
  await consents.getByLabel('Provider ID').fill(providerId);
  const granted = tab.waitForResponse((r) => r.url().endsWith('/consents') && r.request().method() === 'POST');
  await consents.getByRole('button', { name: 'Give consent' }).click();
  const answer = await granted;
  expect(answer.status()).toBe(201);
  await tab.locator('#grant-status', { hasText: `${providerId} can now read your records` }).waitFor();
  return (await answer.request().postDataJSON()) as SignedGrantBody;
}

export interface StoryActors {
  clinic: { id: string; name: string; token: string };
  hospital: { id: string; name: string; token: string };
  patient: { id: string; token: string };
}

/**
 * Where the onboarding part leaves the story, set up through the API (API.md, "Access"): both
 * providers created, the patient enrolled by the clinic, and `scan` uploaded by the clinic to
 * SUPchain as chest-xray.png. Fills in the actors' tokens, each claimed from its claim code.
 */
export async function setUpOnboardedStory(
  baseUrl: string,
  adminToken: string,
  { clinic, hospital, patient }: StoryActors,
  scan: Buffer,
): Promise<void> {
  for (const provider of [clinic, hospital]) {
    const created = await call(baseUrl, '/api/v1/providers', adminToken, {
      providerId: provider.id,
      name: provider.name,
    });
    provider.token = await claim(baseUrl, (created as { claimCode: string }).claimCode);
  }
  const enrolled = await call(baseUrl, '/api/v1/patients', clinic.token, { patientId: patient.id });
  patient.token = await claim(baseUrl, (enrolled as { claimCode: string }).claimCode);
  const upload = new FormData();
  upload.append('chain', 'supchain');
  upload.append('file', new Blob([new Uint8Array(scan)], { type: 'image/png' }), 'chest-xray.png');
  await call(baseUrl, `/api/v1/patients/${patient.id}/records`, clinic.token, upload);
}

/** Exchanges a claim code (what creation and enrolment answer) for its holder's token; no token needed. */
async function claim(baseUrl: string, claimCode: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/claims`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ claimCode }),
  });
  if (response.status !== 201) throw new Error(`POST /api/v1/claims answered ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

async function call(baseUrl: string, path: string, token: string, body: unknown): Promise<unknown> {
  const multipart = body instanceof FormData;
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, ...(multipart ? {} : { 'Content-Type': 'application/json' }) },
    body: multipart ? body : JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
