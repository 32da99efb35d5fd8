// Bad input gets a 400 naming the wrong field, and nothing half-written is left behind.
import SwaggerParser from '@apidevtools/swagger-parser';
import { journeyWorkflowId } from '../../core/ids';
import { API_KEY, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('api-validation');
  await stack.api('PUT', '/v1/customers/known', { email: 'known@example.test' });
  await stack.api('PUT', '/v1/templates/hello', { channel: 'email', content: { subject: 'Hi', text: 'Hello' } });
  await stack.api('PUT', '/v1/templates/inbox-hello', { channel: 'web', content: { title: 'Hi', body: 'Hello' } });
});
afterAll(async () => {
  await stack?.close();
});

/** The fields a 400 response names. */
async function rejectedFields(method: string, path: string, body: unknown): Promise<string[]> {
  const res = await stack.api(method, path, body);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_request');
  return res.body.error.details.map((d: { field: string }) => d.field);
}

const send = (id: string, extra: object = {}) => ({ id, type: 'send', channel: 'email', template: 'hello', ...extra });

describe('customers', () => {
  test.each([
    ['a malformed email', { email: 'not-an-email' }, ['email']],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, ['timeZone']],
    ['an attribute name with a dot', { attributes: { 'a.b': 1 } }, ['attributes.a.b']],
    ['an attribute name starting with $', { attributes: { $where: 'x' } }, ['attributes.$where']],
    ['a nested object attribute', { attributes: { plan: { $gt: '' } } }, ['attributes.plan']],
    ['an unknown field', { name: 'Ada' }, ['']],
    ['a body that is not an object', [1, 2], ['']],
  ])('when a customer has %s, then the API answers 400 naming it', async (_what, body, fields) => {
    expect(await rejectedFields('PUT', '/v1/customers/c-bad', body)).toEqual(fields);
    expect((await stack.api('GET', '/v1/customers/c-bad')).status).toBe(404);
  });

  test('when a customer is PUT with no body, then the API answers 400 saying so and creates nobody', async () => {
    const res = await stack.api('PUT', '/v1/customers/c-no-body');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: 'the request has no JSON body: send a JSON object with Content-Type: application/json' });
    expect((await stack.api('GET', '/v1/customers/c-no-body')).status).toBe(404);
  });

  test('when OPTIONS asks about /v1/customers/batch, then it names the batch route\'s method only', async () => {
    const allowed = async (path: string) => {
      const res = await fetch(stack.baseUrl + path, { method: 'OPTIONS', headers: { authorization: `Bearer ${API_KEY}` } });
      expect(res.status).toBe(200);
      return res.headers.get('allow');
    };
    expect(await allowed('/v1/customers/batch')).toBe('POST');
    expect(await allowed('/v1/customers/known')).toBe('DELETE, GET, HEAD, PUT');
  });

  test('when a customer ID has characters outside the allowed set, then the API answers 400 naming it', async () => {
    expect(await rejectedFields('PUT', '/v1/customers/a%20b', {})).toEqual(['id']);
  });

  test('when fields are set to null, then they are removed and others are kept', async () => {
    await stack.api('PUT', '/v1/customers/nulls', { email: 'n@example.test', attributes: { a: 1, b: 2 } });
    const res = await stack.api('PUT', '/v1/customers/nulls', { email: null, attributes: { a: null, c: [1, 'x'] } });
    expect(res.status).toBe(200);
    expect(res.body.email).toBeUndefined();
    expect(res.body.attributes).toEqual({ b: 2, c: [1, 'x'] });
  });
});

describe('templates', () => {
  test.each([
    ['no channel', { content: { subject: 'x', text: 'y' } }, ['channel']],
    ['an unknown channel', { channel: 'fax', content: {} }, ['channel']],
    ['an email without html or text', { channel: 'email', content: { subject: 'x' } }, ['content.html']],
    ['a web message without a body', { channel: 'web', content: { title: 'x' } }, ['content.body']],
    ['Handlebars that does not compile', { channel: 'email', content: { subject: 'x', html: '{{#if a}}open' } }, ['content.html']],
  ])('when a template has %s, then the API answers 400 naming the field', async (_what, body, fields) => {
    expect(await rejectedFields('PUT', '/v1/templates/t-bad', body)).toEqual(fields);
    expect((await stack.api('GET', '/v1/templates/t-bad')).status).toBe(404);
  });

  test.each([
    ['an unknown helper', { channel: 'email', content: { subject: "{{constructor.constructor 'x'}}", text: 'y' } }, 'content.subject: unknown helper "constructor.constructor"'],
    ['a prototype path', { channel: 'web', content: { title: 'Hi', body: '{{#with __proto__}}x{{/with}}' } }, 'content.body: "__proto__": "__proto__" is a prototype name'],
    ['a javascript: link', { channel: 'web', content: { title: 'Hi', body: 'Hello', link: 'javascript:alert(document.cookie)' } }, 'content.link: javascript: links are not allowed'],
    ['an http: image elsewhere', { channel: 'push', content: { title: 'Hi', body: 'Hello', imageUrl: 'http://cdn.example/a.png' } }, 'content.imageUrl: http: is allowed for localhost and 127.0.0.1 only'],
  ])('when a template has %s, then the API answers 400 naming the field and what is wrong', async (_what, body, message) => {
    const res = await stack.api('PUT', '/v1/templates/t-bad', body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
    expect((await stack.api('GET', '/v1/templates/t-bad')).status).toBe(404);
  });

  test('when a template reads variables outside the render context, then it is saved with a warning for each', async () => {
    const content = { subject: 'Hi {{custmer.name}}', text: '{{customer.anything}} {{journey.name}} {{unsubscribeUrl}}' };
    const res = await stack.api('PUT', '/v1/templates/t-warned', { channel: 'email', content });
    expect(res.status).toBe(201);
    expect(res.body.content).toEqual(content);
    expect(res.body.warnings).toEqual([
      { field: 'content.subject', message: '"custmer.name" renders empty: the render context has no "custmer" (it has customer, journey, event, events, unsubscribeUrl)' },
      { field: 'content.text', message: '"journey.name" renders empty: "journey" has no "name" (it has id)' },
    ]);
    const clean = await stack.api('PUT', '/v1/templates/t-warned', { channel: 'email', content: { subject: 'Hi {{customer.name}}', text: 'x' } });
    expect(clean.status).toBe(200);
    expect(clean.body.warnings).toEqual([]);
  });
});

describe('journeys', () => {
  test.each([
    ['no steps', { name: 'J', steps: [] }, ['steps']],
    ['an unknown step type', { name: 'J', steps: [{ id: 'a', type: 'teleport' }] }, ['steps[0].type']],
    ['a bad duration', { name: 'J', steps: [{ id: 'a', type: 'wait', duration: 'soon' }] }, ['steps[0].duration']],
    ['a best-time window over a week', { name: 'J', steps: [{ id: 'a', type: 'wait', untilBestTime: { within: '8d', default: '10:00' } }] }, ['steps[0].untilBestTime.within']],
    ['a best-time default that is no time', { name: 'J', steps: [{ id: 'a', type: 'wait', untilBestTime: { within: '1d', default: '25:00' } }] }, ['steps[0].untilBestTime.default']],
    ['a best time besides a duration', { name: 'J', steps: [{ id: 'a', type: 'wait', duration: '1d', untilBestTime: { within: '1d', default: '10:00' } }] }, ['steps[0].duration']],
    ['a next step that does not exist', { name: 'J', steps: [send('a', { next: 'zzz' })] }, ['steps[0].next']],
    ['a step nobody reaches', { name: 'J', steps: [send('a'), send('b')] }, ['steps[1]']],
    ['a loop without a wait', { name: 'J', steps: [send('a', { next: 'b' }), send('b', { next: 'a' })] }, ['steps[0]']],
    ['a template that does not exist', { name: 'J', steps: [send('a', { template: 'ghost' })] }, ['steps[0].template']],
    ['a template of another channel', { name: 'J', steps: [send('a', { template: 'inbox-hello' })] }, ['steps[0].template']],
    [
      'a branch on a segment that does not exist',
      { name: 'J', steps: [{ id: 'b', type: 'branch', cases: [{ when: { segment: 'ghost' }, next: 'a' }] }, send('a')] },
      ['steps[0].cases[0].when.segment'],
    ],
    ['a fallback template of another channel', { name: 'J', steps: [send('a', { fallback: { channel: 'web', template: 'hello' } })] }, ['steps[0].fallback.template']],
    ['a fallback on the same channel', { name: 'J', steps: [send('a', { fallback: { channel: 'email', template: 'hello' } })] }, ['steps[0].fallback.channel']],
    ['an exit step with a next', { name: 'J', steps: [{ id: 'x', type: 'exit', next: 'y' }] }, ['steps[0]']],
  ])('when a journey has %s, then the API answers 400 naming the step and field', async (_what, body, fields) => {
    expect(await rejectedFields('PUT', '/v1/journeys/j-bad', body)).toEqual(fields);
    expect((await stack.api('GET', '/v1/journeys/j-bad')).status).toBe(404);
  });

  test.each([
    ['a missing template', [send('intro', { template: 'ghost' })]],
    ['a bad duration', [send('first', { next: 'intro' }), { id: 'intro', type: 'wait', duration: 'soon' }]],
    ['an unknown channel', [send('intro', { channel: 'fax' })]],
    ['a missing link target', [send('intro', { next: 'nowhere' })]],
  ])('when a journey is rejected for %s, then the message names the step', async (_what, steps) => {
    const res = await stack.api('PUT', '/v1/journeys/j-bad', { name: 'J', steps });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('step "intro"');
  });
});

describe('launch', () => {
  beforeAll(async () => {
    await stack.api('PUT', '/v1/journeys/j-ok', { name: 'OK', steps: [send('a')] });
  });

  test.each([
    ['no customers', { customerIds: [] }, ['customerIds']],
    ['a repeated customer', { customerIds: ['known', 'known'] }, ['customerIds']],
    ['more than 1000 customers', { customerIds: Array.from({ length: 1001 }, (_, i) => `c${i}`) }, ['customerIds']],
    ['a customer that does not exist', { customerIds: ['known', 'ghost'] }, ['customerIds[1]']],
  ])('when a launch lists %s, then the API answers 400 and starts nobody', async (_what, body, fields) => {
    expect(await rejectedFields('POST', '/v1/journeys/j-ok/launch', body)).toEqual(fields);
    const runs = stack.client.workflow.list({ query: `WorkflowId = "${journeyWorkflowId('j-ok', 'known')}"` });
    for await (const run of runs) throw new Error(`unexpected run ${run.workflowId}`);
  });

  test('when the journey does not exist, then the launch answers 404', async () => {
    const res = await stack.api('POST', '/v1/journeys/nope/launch', { customerIds: ['known'] });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe('journey "nope" does not exist');
  });

  test('when a customer has no run of the journey, then the run endpoint answers 404', async () => {
    expect((await stack.api('GET', '/v1/journeys/j-ok/runs/known')).status).toBe(404);
  });
});

test('when the body is not valid JSON, then the API answers 400 invalid_json', async () => {
  const res = await stack.api('PUT', '/v1/customers/x', '{"email": ');
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_json');
});

test('when a route does not exist, then the API answers 404 in the same error shape', async () => {
  const res = await stack.api('GET', '/v1/nothing-here');
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('not_found');
});

test('when the OpenAPI document is served, then it is a valid OpenAPI 3.1 document covering every route', async () => {
  const res = await stack.api('GET', '/openapi.json', undefined, null);
  expect(res.status).toBe(200);
  const doc = await SwaggerParser.validate(structuredClone(res.body));
  expect(Object.keys(doc.paths ?? {}).sort()).toEqual([
    '/assets/{file}',
    '/healthz',
    '/inbox/cairn-inbox.js',
    '/inbox/messages',
    '/inbox/messages/{id}/click',
    '/inbox/messages/{id}/read',
    '/inbox/read-all',
    '/inbox/stream',
    '/journeys/{id}',
    '/metrics',
    '/openapi.json',
    '/readyz',
    '/t/c/{token}',
    '/t/o/{token}',
    '/unsubscribe/{token}',
    '/v1/code-journeys',
    '/v1/code-journeys/{id}/launch',
    '/v1/customers',
    '/v1/customers/batch',
    '/v1/customers/{id}',
    '/v1/customers/{id}/export',
    '/v1/customers/{id}/inbox',
    '/v1/customers/{id}/inbox-token',
    '/v1/customers/{id}/messages',
    '/v1/events',
    '/v1/events/batch',
    '/v1/journeys',
    '/v1/journeys/{id}',
    '/v1/journeys/{id}/archive',
    '/v1/journeys/{id}/deliveries',
    '/v1/journeys/{id}/draft',
    '/v1/journeys/{id}/launch',
    '/v1/journeys/{id}/launches/{segmentId}',
    '/v1/journeys/{id}/pause',
    '/v1/journeys/{id}/publish',
    '/v1/journeys/{id}/resume',
    '/v1/journeys/{id}/runs',
    '/v1/journeys/{id}/runs/{customerId}',
    '/v1/journeys/{id}/runs/{customerId}/stop',
    '/v1/journeys/{id}/simulate',
    '/v1/journeys/{id}/stats',
    '/v1/journeys/{id}/stop',
    '/v1/journeys/{id}/stop-entries',
    '/v1/journeys/{id}/validate',
    '/v1/push/opened',
    '/v1/segments',
    '/v1/segments/{id}',
    '/v1/segments/{id}/members/{customerId}',
    '/v1/segments/{id}/preview',
    '/v1/settings/frequency-caps',
    '/v1/settings/quiet-hours',
    '/v1/suppressions/{customerId}',
    '/v1/templates',
    '/v1/templates/{id}',
    '/v1/templates/{id}/preview',
    '/v1/templates/{id}/test-send',
    '/webhooks/twilio/inbound',
    '/webhooks/twilio/status',
  ]);
});

test('when a segment holds a rule written past the API, then launching at it is refused naming the segment', async () => {
  await stack.db.models.segments.create({ _id: 'tampered', name: 'T', rule: { attribute: 'plan', op: 'where', value: 'sleep(1)' } });
  await stack.api('PUT', '/v1/journeys/to-tampered', { name: 'To tampered', steps: [{ id: 'later', type: 'wait', duration: '1d' }] });
  const res = await stack.api('POST', '/v1/journeys/to-tampered/launch', { segmentId: 'tampered' });
  expect(res.status).toBe(409);
  expect(res.body.error.message).toMatch(/^segment "tampered" holds an invalid rule \(.+\): save the segment again before launching at it$/);
});
