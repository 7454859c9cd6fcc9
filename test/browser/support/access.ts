import { randomBytes } from 'node:crypto';

/** A provider the suite signs in as, created through the API with the operator's token. */
export interface TestProvider {
  providerId: string;
  token: string;
  /** Enrols a patient so this provider may upload for them (and read its own uploads). */
  enrol(patientId: string): Promise<void>;
}

/**
 * Sets up access through the API (API.md, "Access"): returns null when the server has no
 * access control (GET /api/v1/me answers 404), else a fresh provider, whose claim code is
 * claimed at once (the creation answer carries no token).
 */
export async function setUpProvider(baseUrl: string, adminToken: string | undefined): Promise<TestProvider | null> {
  const probe = await fetch(`${baseUrl}/api/v1/me`);
  if (probe.status === 404) return null;
  if (!adminToken) throw new Error('The server wants tokens: set BROWSER_TEST_ADMIN_TOKEN to its ADMIN_TOKEN.');

  const providerId = `browser-test-${randomBytes(3).toString('hex')}`;
  const created = await post(baseUrl, '/api/v1/providers', adminToken, { providerId, name: 'Browser Test Clinic' });
  const { token } = await claim(baseUrl, (created as { claimCode: string }).claimCode);
  return {
    providerId,
    token,
    enrol: async (patientId) => {
      await post(baseUrl, '/api/v1/patients', token, { patientId });
    },
  };
}

/** POST /api/v1/claims: a claim code for the principal's token (shown once). */
export async function claim(baseUrl: string, claimCode: string): Promise<{ id: string; role: string; token: string }> {
  return (await post(baseUrl, '/api/v1/claims', undefined, { claimCode })) as {
    id: string;
    role: string;
    token: string;
  };
}

async function post(baseUrl: string, path: string, token: string | undefined, body: unknown): Promise<unknown> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}
