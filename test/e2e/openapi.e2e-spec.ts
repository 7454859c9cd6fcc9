import request from 'supertest';
import { createTestApp, TestApp } from '../support/app';

/** /docs-json is generated from the code; API clients read their error handling off it. */
describe('OpenAPI document', () => {
  let testApp: TestApp;
  let document: { paths: Record<string, Record<string, { responses: Record<string, { content?: object }> }>> };

  beforeAll(async () => {
    testApp = await createTestApp();
    document = (await request(testApp.app.getHttpServer()).get('/docs-json').expect(200)).body;
  });

  afterAll(async () => {
    await testApp.close();
  });

  const operations = () =>
    Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
      );

  it('documents 401 and 429 as problem+json on every API operation', () => {
    const undocumented = operations()
      .filter(({ operation }) =>
        ['401', '429'].some(
          (status) => !Object.hasOwn(operation.responses[status]?.content ?? {}, 'application/problem+json'),
        ),
      )
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(operations().length).toBeGreaterThanOrEqual(12);
    expect(undocumented).toEqual([]);
  });

  it.each([
    ['post', '/api/v1/patients/{patientId}/records', ['400', '403', '409', '413', '415', '503']],
    ['get', '/api/v1/patients/{patientId}/records/latest', ['400', '403', '404', '422', '503']],
    ['post', '/api/v1/patients/{patientId}/consents', ['400', '403', '503']],
    ['post', '/api/v1/providers', ['400', '403', '409']],
  ])('lists the errors of %s %s', (method, path, statuses) => {
    const responses = document.paths[path][method].responses;
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(statuses));
  });
});
