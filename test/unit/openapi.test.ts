import type { AddressInfo } from 'node:net';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createApp, type AppDeps } from '../../api/app';
import { openApiDocument } from '../../api/openapi';

interface Op {
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  requestBody?: object;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
const doc = () => openApiDocument() as { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, object> } };
const schemas = () => doc().components.schemas;
const operations = () => Object.entries(doc().paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

/** Every dependency of the app is a stand-in: the requests below are answered before any is used. */
const app = () =>
  createApp({
    apiKeys: ['test-key'],
    models: { inbox: {} },
    readiness: {},
    signingSecret: 'test-secret',
    publicUrl: 'http://localhost',
    twilioAuthToken: 'test-token',
  } as unknown as AppDeps);

interface Layer {
  rawPath?: string | RegExp;
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** `/:id` → `/{id}`; a RegExp route (customers' ONE_CUSTOMER) by its named groups. */
const openApiPath = (path: string | RegExp) =>
  typeof path === 'string' ? path.replace(/:(\w+)/g, '{$1}') : `/${[...path.source.matchAll(/\(\?<(\w+)>/g)].map((m) => `{${m[1]}}`).join('/')}`;

/** "METHOD path" of every route in the app's router stack, mounted routers included. */
function expressRoutes(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      // A router's own `/` is its mount path.
      const path = (prefix + openApiPath(layer.route.path)).replace(/(.)\/$/, '$1');
      return Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${path}`);
    }
    if (!layer.handle.stack) return [];
    return expressRoutes(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''));
  });
}

test('when the document is built, then it is valid OpenAPI 3.1 and every reference is to a component', async () => {
  await SwaggerParser.validate(structuredClone(openApiDocument()) as never);
  const text = JSON.stringify(openApiDocument());
  expect(text).not.toContain('#/$defs/');
  expect([...text.matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]).every((r) => r.startsWith('#/components/schemas/'))).toBe(true);
});

test('when the app is built, then its routes and the documented operations are the same', () => {
  const routes = expressRoutes((app() as unknown as { router: { stack: Layer[] } }).router.stack);
  const documented = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
  expect(routes.length).toBeGreaterThan(30);
  expect(new Set(routes).size).toBe(routes.length);
  expect([...routes].sort()).toEqual([...documented].sort());
});

test('when an operation takes input, a body or acts on a stored thing, then it declares the 400, 413 and 404 it can answer', () => {
  // Creates or replaces what the path names, or checks a definition whether or not the journey
  // exists; erases or exports whatever is held about a customer, a profile or not (nothing: zeros).
  const noNotFound = new Set(['PUT', 'POST /v1/journeys/{id}/validate', 'DELETE /v1/customers/{id}', 'GET /v1/customers/{id}/export']);
  for (const { path, method, op } of operations()) {
    const name = `${method.toUpperCase()} ${path}`;
    const statuses = Object.keys(op.responses);
    if (op.parameters?.length || op.requestBody) expect([name, statuses]).toEqual([name, expect.arrayContaining(['400'])]);
    if (op.requestBody) expect([name, statuses]).toEqual([name, expect.arrayContaining(['413'])]);
    if (path.includes('{') && !noNotFound.has(method.toUpperCase()) && !noNotFound.has(name)) {
      expect([name, statuses]).toEqual([name, expect.arrayContaining(['404'])]);
    }
    // 431 comes from Node's HTTP server itself, without a body; every other 4xx is ours.
    if (op.parameters?.length) expect([name, statuses]).toEqual([name, expect.arrayContaining(['431'])]);
    for (const status of statuses.filter((s) => s.startsWith('4') && s !== '431')) {
      expect([name, status, op.responses[status].content?.['application/json']?.schema]).toEqual([name, status, { $ref: '#/components/schemas/Error' }]);
    }
  }
});

test('when an operation is called without credentials, then it is refused (401, or 403 for Twilio) exactly when it declares security, with a status it declares', async () => {
  const server = app().listen(0);
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    // The open operations are answered without reaching a stand-in dependency too.
    for (const { path, method, op } of operations()) {
      const res = await fetch(base + path.replace(/\{\w+\}/g, 'x1'), { method: method.toUpperCase(), headers: { accept: 'application/json' } });
      const status = String(res.status);
      const secured = (op.security ?? []).length > 0;
      const refusal = op.security?.some((s) => 'twilioSignature' in s) ? '403' : '401';
      expect([method, path, status]).toEqual([method, path, secured ? refusal : expect.not.stringMatching(/^40[13]$/)]);
      expect([method, path, Object.keys(op.responses)]).toEqual([method, path, expect.arrayContaining([status])]);
    }
  } finally {
    server.close();
  }
});

test('when a validator refuses repeated customers or both launch targets, then the documented schema refuses them too', () => {
  expect(schemas().LaunchInput).toMatchObject({
    not: { required: ['customerIds', 'segmentId'] },
    properties: { customerIds: { uniqueItems: true, maxItems: 1000 } },
  });
});

test('when the rule language is documented, then every condition kind and combinator appears in SegmentRule', () => {
  const rule = JSON.stringify(schemas().SegmentRule);
  for (const key of ['and', 'or', 'not', 'attribute', 'event', 'timeZoneIn', 'localeIn', 'languageIn', 'pushPlatform', 'lastSeenWithin', 'lastSeenNotWithin', 'reachableOn']) {
    expect(rule).toContain(`"${key}"`);
  }
});

test('when journey definitions are documented, then branch rules reference the one SegmentRule component', () => {
  const journey = JSON.stringify(schemas().JourneyDefinition);
  for (const type of ['send', 'wait', 'waitForEvent', 'branch', 'split', 'exit']) expect(journey).toContain(`"enum":["${type}"]`);
  expect(journey).toContain('"$ref":"#/components/schemas/SegmentRule"');
  expect(JSON.stringify(schemas().SegmentInput)).toContain('"$ref":"#/components/schemas/SegmentRule"');
});

test('when a template is saved, then its 2xx answers are documented with the warnings array', () => {
  const put = doc().paths['/v1/templates/{id}'].put;
  for (const status of ['200', '201']) expect(JSON.stringify(put.responses[status].content)).toContain('"$ref":"#/components/schemas/TemplateSaved"');
  expect(schemas().TemplateSaved).toMatchObject({ properties: { warnings: { type: 'array' }, content: { type: 'object' } } });
});
