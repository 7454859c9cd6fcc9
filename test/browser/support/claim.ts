import type { Page } from 'playwright-core';
import { setUpKeysInPage } from './keys';

/** A bearer token as the service mints them. */
export const TOKEN = /^emr_[A-Za-z0-9_-]{20,}$/;
/** Anything that looks like a bearer token, anywhere in a text. */
export const TOKEN_ANYWHERE = /emr_[A-Za-z0-9_-]{20,}/;
/** A claim code as the page shows it: 20 Crockford base32 characters in groups of four. */
export const GROUPED_CLAIM_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/;
export const CLAIM_CODE_REFUSED =
  'This claim code is not valid: it may be mistyped, already used or expired. Check it, or ask whoever gave it to you for a new one.';

/**
 * Types a claim code into the sign-in card's "I have a claim code" form and waits until the
 * page has signed `who` in and shows their token once; returns that token. A patient then sets
 * up their keys in the page when it asks (issue 13); `keys.recoveryCode` receives the recovery
 * code it showed (null when this browser already held their keys).
 */
export async function claimInPage(
  tab: Page,
  code: string,
  who: string,
  keys: { recoveryCode?: string | null } = {},
): Promise<string> {
  await tab.locator('#sign-in').waitFor();
  await tab.getByLabel('Claim code', { exact: true }).fill(code);
  await tab.getByRole('button', { name: 'Use claim code' }).click();
  await tab.locator('#session-who', { hasText: `Signed in as ${who}` }).waitFor();
  await tab.locator('#token-reveal').waitFor();
  const token = await tab.getByLabel('Your access token, shown once').inputValue();
  keys.recoveryCode = await setUpKeysInPage(tab);
  return token;
}

/** Types a claim code that the service refuses; returns the sentence shown by the field. */
export async function claimRefused(tab: Page, code: string): Promise<string> {
  await tab.getByLabel('Claim code', { exact: true }).fill(code);
  const answered = tab.waitForResponse((r) => r.url().endsWith('/api/v1/claims'));
  await tab.getByRole('button', { name: 'Use claim code' }).click();
  expect((await answered).status()).toBe(404);
  const error = tab.locator('#claim-code-error');
  await error.waitFor();
  return (await error.textContent()) ?? '';
}
