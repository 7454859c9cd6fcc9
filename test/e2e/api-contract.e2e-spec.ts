import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { createTestApp, TestApp } from '../support/app';

interface Operation {
  parameters?: { name: string; in: string }[];
  responses: Record<string, { description?: string }>;
}
type Paths = Record<string, Record<string, Operation>>;

const CONTRACT = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');

/** `| `GET /api/v1/…` | … |` rows of docs/api.md, by "METHOD path". */
function documentedOperations(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of CONTRACT.split('\n')) {
    const match = /^\|\s*`(GET|POST|PUT|PATCH|DELETE) (\/[^`]+)`\s*\|/.exec(line);
    if (match) rows.set(`${match[1]} ${match[2]}`, line);
  }
  return rows;
}

/** The "## Errors" table of docs/api.md: code -> status. */
function documentedCodes(): Map<string, number> {
  const section = CONTRACT.slice(CONTRACT.indexOf('## Errors'));
  const codes = new Map<string, number>();
  for (const match of section.matchAll(/^\| (\d{3}) \| `([A-Z_]+)` \|/gm)) codes.set(match[2], Number(match[1]));
  return codes;
}

/** docs/api.md is the REST contract; /docs-json is generated from the code. Neither may drift. */
describe('docs/api.md and /docs-json', () => {
  let testApp: TestApp;
  let paths: Paths;

  beforeAll(async () => {
    testApp = await createTestApp();
    paths = (await request(testApp.app.getHttpServer()).get('/docs-json').expect(200)).body.paths;
  });

  afterAll(async () => {
    await testApp.close();
  });

  const operations = () =>
    Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })),
    );

  it('documents exactly the operations the service serves', () => {
    expect([...documentedOperations().keys()].sort()).toEqual(
      operations()
        .map(({ key }) => key)
        .sort(),
    );
    expect(operations().length).toBeGreaterThanOrEqual(14);
  });

  it('names every success status and every query and header parameter in the operation’s row', () => {
    const rows = documentedOperations();
    const missing: string[] = [];
    for (const { key, operation } of operations()) {
      const row = rows.get(key) ?? '';
      for (const status of Object.keys(operation.responses).filter((status) => status.startsWith('2'))) {
        if (!row.includes(`\`${status}`)) missing.push(`${key}: ${status}`);
      }
      for (const parameter of (operation.parameters ?? []).filter(({ in: place }) => place !== 'path')) {
        if (!row.includes(parameter.name)) missing.push(`${key}: ${parameter.in} ${parameter.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists every problem code an operation may answer, with its status, and no code the service never uses', () => {
    const documented = documentedCodes();
    const used = new Map<string, number>();
    for (const { operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const codes = /code: ([A-Z_ |]+)/.exec(response.description ?? '')?.[1].split(' | ') ?? [];
        for (const code of codes) used.set(code.trim(), Number(status));
      }
    }
    expect(used.size).toBeGreaterThanOrEqual(10);
    expect([...used].filter(([code, status]) => documented.get(code) !== status)).toEqual([]);
    expect([...documented.keys()].filter((code) => !used.has(code))).toEqual([]);
  });
});
