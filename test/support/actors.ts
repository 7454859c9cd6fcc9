import request from 'supertest';
import type { App } from 'supertest/types';

export interface Actor {
  id: string;
  token: string;
  auth: Record<string, string>;
}

function actor(id: string, token: string): Actor {
  return { id, token, auth: { Authorization: `Bearer ${token}` } };
}

/** Exchanges a claim code for its holder's token (POST /api/v1/claims, no token needed). */
export async function claimToken(server: App, claimCode: string): Promise<string> {
  const response = await request(server).post('/api/v1/claims').send({ claimCode });
  if (response.status !== 201) throw new Error(`claim: ${response.status} ${response.text}`);
  return response.body.token as string;
}

/** Creates a provider as the operator and claims its code at once, as the provider would. */
export async function createProvider(server: App, adminToken: string, providerId: string): Promise<Actor> {
  const response = await request(server)
    .post('/api/v1/providers')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ providerId, name: `Provider ${providerId}` });
  if (response.status !== 201) throw new Error(`createProvider: ${response.status} ${response.text}`);
  return actor(response.body.providerId, await claimToken(server, response.body.claimCode));
}

/** Enrols a patient as the provider and claims the code at once, as the patient would. */
export async function enrollPatient(server: App, provider: Actor, patientId: string): Promise<Actor> {
  const response = await request(server).post('/api/v1/patients').set(provider.auth).send({ patientId });
  if (response.status !== 201) throw new Error(`enrollPatient: ${response.status} ${response.text}`);
  return actor(response.body.patientId, await claimToken(server, response.body.claimCode));
}
