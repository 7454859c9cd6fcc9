// Callbacks passed to page.evaluate() run in the browser, so this file also sees DOM types.
import type { Page } from 'playwright-core';

/** A recovery code as the page shows it: 28 Crockford base32 characters in seven groups of four (spec §4). */
export const GROUPED_RECOVERY_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/;

/** Where the page is with the signed-in person's keys (cards/keys.js sets main[data-keys]). */
export type KeysStep = 'none' | 'setup' | 'restore' | 'ready' | 'failed';

/** Waits until the page has looked for the signed-in person's keys, and says what it found. */
export async function keysStep(tab: Page): Promise<KeysStep> {
  await tab.waitForFunction(() => {
    const step = document.getElementById('main')?.dataset.keys;
    return step !== undefined && step !== 'checking';
  });
  return (await tab.locator('#main').getAttribute('data-keys')) as KeysStep;
}

/**
 * After a patient signs in, as they would: when the page asks them to set up their keys, they
 * create them, are shown the recovery code once, type its last group to confirm and finish.
 * Returns the recovery code the page showed, or null when there was nothing to set up (this
 * browser already holds their keys, or the person is not a patient). Any other step fails.
 */
export async function setUpKeysInPage(tab: Page): Promise<string | null> {
  const step = await keysStep(tab);
  if (step === 'none' || step === 'ready') return null;
  if (step !== 'setup') throw new Error(`The page wants the patient's keys to ${step}, not to be set up`);
  const card = tab.locator('#keys-card');
  await card.getByRole('button', { name: 'Create my keys' }).click();
  await tab.locator('#recovery-reveal').waitFor();
  const recoveryCode = await card.getByLabel('Your recovery code, shown once').inputValue();
  expect(recoveryCode).toMatch(GROUPED_RECOVERY_CODE);
  await card.getByLabel('Last group of your recovery code').fill(recoveryCode.split('-').pop() ?? '');
  const registered = tab.waitForResponse((r) => r.url().endsWith('/api/v1/me/keys'));
  await card.getByRole('button', { name: 'I have written it down: finish' }).click();
  expect((await registered).status()).toBe(201);
  await tab.locator('#main[data-keys="ready"]').waitFor({ state: 'attached' });
  expect(await tab.locator('#recovery-value').inputValue()).toBe('');
  return recoveryCode;
}
