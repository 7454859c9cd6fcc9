import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { createTestApp, TestApp } from '../support/app';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  parameters?: Parameter[];
  security?: object[];
  responses: Record<string, { content?: object }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string; bearerFormat?: string }> };
}

/** /docs-json is generated from the code; API clients read their error handling off it. */
describe('OpenAPI document', () => {
  let testApp: TestApp;
  let document: OpenApiDocument;

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

  it('documents 429 as problem+json on every API operation, and 401 on every one that needs a token', () => {
    const undocumented = operations()
      .filter(({ operation }) =>
        [...(operation.security?.length ? ['401'] : []), '429'].some(
          (status) => !Object.hasOwn(operation.responses[status]?.content ?? {}, 'application/problem+json'),
        ),
      )
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(operations().length).toBeGreaterThanOrEqual(12);
    expect(undocumented).toEqual([]);
  });

  it('#13 needs a token everywhere under /api/v1 except for the claim, which answers no 401', () => {
    const open = operations()
      .filter(({ operation }) => !operation.security?.length)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(open).toEqual(['POST /api/v1/claims']);
    expect(Object.keys(document.paths['/api/v1/claims'].post.responses).sort()).toEqual(['201', '400', '404', '429']);
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

  it('#11.18 is a valid OpenAPI document', async () => {
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('#11.18 lists each header once per operation, and the optional ones as optional', () => {
    const headers = operations().flatMap(({ method, path, operation }) =>
      (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'header')
        .map((parameter) => ({ at: `${method.toUpperCase()} ${path}`, ...parameter })),
    );
    const seen = headers.map(({ at, name }) => `${at} ${name.toLowerCase()}`);
    expect(seen.filter((key, index) => seen.indexOf(key) !== index)).toEqual([]);
    const breakGlass = headers.filter(({ name }) => name.toLowerCase() === 'x-break-glass-reason');
    const idempotency = headers.filter(({ name }) => name.toLowerCase() === 'idempotency-key');
    expect(breakGlass.map(({ at }) => at).sort()).toEqual(
      [
        'GET /api/v1/patients/{patientId}/records',
        'GET /api/v1/patients/{patientId}/records/latest',
        'GET /api/v1/patients/{patientId}/records/{recordId}',
        'GET /api/v1/patients/{patientId}/records/{recordId}/metadata',
      ].sort(),
    );
    expect(idempotency.map(({ at }) => at)).toEqual(['POST /api/v1/patients/{patientId}/records']);
    expect([...breakGlass, ...idempotency].filter(({ required }) => required === true)).toEqual([]);
  });

  it('#11.18 describes bearer tokens as opaque, not JWT', () => {
    const schemes = Object.values(document.components.securitySchemes);
    expect(schemes).toEqual([expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque' })]);
  });
});
