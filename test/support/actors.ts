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

export async function createProvider(server: App, adminToken: string, providerId: string): Promise<Actor> {
  const response = await request(server)
    .post('/api/v1/providers')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({ providerId, name: `Provider ${providerId}` });
  if (response.status !== 201) throw new Error(`createProvider: ${response.status} ${response.text}`);
  return actor(response.body.providerId, response.body.token);
}

export async function enrollPatient(server: App, provider: Actor, patientId: string): Promise<Actor> {
  const response = await request(server).post('/api/v1/patients').set(provider.auth).send({ patientId });
  if (response.status !== 201) throw new Error(`enrollPatient: ${response.status} ${response.text}`);
  return actor(response.body.patientId, response.body.token);
}
