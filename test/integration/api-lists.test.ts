// Lists through the real API: pages that together hold every item once, the status and channel
// filters, a segment's members paged, and deletes refused while a journey names what they delete.
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('api-lists');
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

const email = { channel: 'email', content: { subject: 'Hi', text: 'Hello' } };
const sms = { channel: 'sms', content: { body: 'Hello' } };
const send = (id: string, template: string, extra: object = {}) => ({ id, type: 'send', channel: 'email', template, ...extra });
const journey = (name: string, steps: object[], extra: object = {}) => ({ name, steps, ...extra });

async function ok(method: string, path: string, body?: unknown) {
  const res = await stack.api(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Every item of a list, walking its pages; the sizes of the pages as well. */
async function walk(path: string, limit: number) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let after: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const body = await ok('GET', `${path}${sep}limit=${limit}${after ? `&after=${after}` : ''}`);
    ids.push(...body.items.map((item: { id: string }) => item.id));
    sizes.push(body.items.length);
    after = body.next;
  } while (after !== undefined && sizes.length < 50);
  return { ids, sizes };
}

/** The fields a 400 answer names. */
async function refused(path: string): Promise<string[]> {
  const res = await stack.api('GET', path);
  expect(res.status).toBe(400);
  return res.body.error.details.map((d: { field: string }) => d.field);
}

describe('templates', () => {
  const emails = ['t-a', 't-b', 't-c', 't-d', 't-e', 't-f', 't-g'];
  const texts = ['t-sms-1', 't-sms-2', 't-sms-3'];
  beforeAll(async () => {
    // Written out of order: the list is in ID order all the same.
    for (const id of [...emails].reverse()) await ok('PUT', `/v1/templates/${id}`, email);
    for (const id of texts) await ok('PUT', `/v1/templates/${id}`, sms);
  });

  test('when the templates are listed three at a time, then the pages hold each once, in ID order, and the last has no next', async () => {
    const { ids, sizes } = await walk('/v1/templates', 3);
    expect(ids).toEqual([...emails, ...texts].sort());
    expect(sizes).toEqual([3, 3, 3, 1]);
  });

  test('when the templates are listed by channel, then only that channel\'s are listed, each as its read without content', async () => {
    expect((await walk('/v1/templates?channel=sms', 2)).ids).toEqual(texts);
    const [item] = (await ok('GET', '/v1/templates?channel=sms&limit=1')).items;
    const { content, ...read } = await ok('GET', '/v1/templates/t-sms-1');
    expect(content).toBeDefined();
    expect(item).toEqual(read);
  });

  test('when a page is exactly the rest of the list, then it has no next', async () => {
    const body = await ok('GET', `/v1/templates?channel=email&limit=${emails.length}`);
    expect(body.items).toHaveLength(emails.length);
    expect(body.next).toBeUndefined();
  });
});

describe('journeys by status', () => {
  const published = (id: string, extra: object = {}) => ok('PUT', `/v1/journeys/${id}`, journey(id, [send('s', 'j-mail')], extra));
  beforeAll(async () => {
    await ok('PUT', '/v1/templates/j-mail', email);
    await ok('PUT', '/v1/journeys/j-draft/draft', journey('Draft only', [send('s', 'j-mail')]));
    await published('j-published');
    await published('j-live', { entry: { type: 'event', event: 'signed_up' } });
    await ok('POST', '/v1/journeys/j-live/launch');
    await published('j-paused');
    await ok('POST', '/v1/journeys/j-paused/pause');
    await published('j-stopped');
    await ok('POST', '/v1/journeys/j-stopped/stop');
    await published('j-archived');
    await ok('POST', '/v1/journeys/j-archived/archive');
  }, 60_000);

  test.each(['draft', 'published', 'live', 'paused', 'stopped', 'archived'])(
    'when journeys are listed with status=%s, then only that journey is listed, as its read without definitions',
    async (status) => {
      // Besides the code-first types (published, kind "code"), registered at start.
      const items = (await ok('GET', `/v1/journeys?status=${status}`)).items.filter((j: { kind: string }) => j.kind === 'json');
      expect(items.map((j: { id: string }) => j.id)).toEqual([`j-${status}`]);
      const { definition, draft, ...read } = await ok('GET', `/v1/journeys/j-${status}`);
      expect(definition ?? draft).toBeDefined();
      expect(items[0]).toEqual(read);
      expect(items[0].status).toBe(status);
    },
  );

  test('when a journey is both stopped and paused, then it is listed as stopped only', async () => {
    await published('j-stopped-paused');
    await ok('POST', '/v1/journeys/j-stopped-paused/stop');
    await ok('POST', '/v1/journeys/j-stopped-paused/pause');
    const listed = async (status: string) => (await ok('GET', `/v1/journeys?status=${status}`)).items.map((j: { id: string }) => j.id);
    expect(await listed('stopped')).toContain('j-stopped-paused');
    expect(await listed('paused')).not.toContain('j-stopped-paused');
  }, 30_000);

  test('when journeys are listed without a status, then the pages hold every journey once', async () => {
    const { ids } = await walk('/v1/journeys', 2);
    expect(ids).toEqual(expect.arrayContaining(['j-archived', 'j-draft', 'j-live', 'j-paused', 'j-published', 'j-stopped']));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
  });
});

describe("a segment's members", () => {
  const pros = Array.from({ length: 7 }, (_, i) => `m-${String(i * 2).padStart(2, '0')}`);
  beforeAll(async () => {
    for (let i = 0; i < 14; i++) {
      await ok('PUT', `/v1/customers/m-${String(i).padStart(2, '0')}`, { attributes: { plan: i % 2 === 0 ? 'pro' : 'free' } });
    }
    await ok('PUT', '/v1/segments/pros', { name: 'Pros', rule: { attribute: 'plan', op: 'eq', value: 'pro' } });
  });

  test('when the members are paged two at a time, then every member is listed once, in ID order, and nobody else', async () => {
    const { ids, sizes } = await walk('/v1/customers?segmentId=pros', 2);
    expect(ids).toEqual(pros);
    expect(sizes).toEqual([2, 2, 2, 1]);
  });

  test('when a member is listed, then the item is the customer as read', async () => {
    const [first] = (await ok('GET', '/v1/customers?segmentId=pros&limit=1')).items;
    expect(first).toEqual(await ok('GET', '/v1/customers/m-00'));
  });

  test('when the segments are listed, then the pages hold each once, each as its read without the rule', async () => {
    await ok('PUT', '/v1/segments/frees', { name: 'Frees', rule: { attribute: 'plan', op: 'eq', value: 'free' } });
    const { ids } = await walk('/v1/segments', 1);
    expect(ids).toEqual(expect.arrayContaining(['frees', 'pros']));
    expect(ids).toEqual([...new Set(ids)].sort());
    const item = (await ok('GET', '/v1/segments?limit=200')).items.find((s: { id: string }) => s.id === 'frees');
    const { rule, ...read } = await ok('GET', '/v1/segments/frees');
    expect(rule).toBeDefined();
    expect(item).toEqual(read);
  });

  test('when the segment is unknown, then the API answers 404', async () => {
    const res = await stack.api('GET', '/v1/customers?segmentId=ghost');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('segment "ghost"');
  });

  test('when the stored rule no longer validates, then the API answers 409 saying to save the segment again', async () => {
    const now = new Date();
    await stack.db.models.segments.collection.insertOne({ _id: 'stale' as never, name: 'Stale', rule: { attribute: 'plan', op: 'like', value: 'p' }, createdAt: now, updatedAt: now });
    const res = await stack.api('GET', '/v1/customers?segmentId=stale');
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('save the segment again');
    // So do the segment's own preview and membership (they answered 500).
    for (const [method, path] of [['POST', '/v1/segments/stale/preview'], ['GET', `/v1/segments/stale/members/${(await stack.db.models.customers.findOne().lean())!._id}`]] as const) {
      const other = await stack.api(method, path);
      expect([path, other.status]).toEqual([path, 409]);
    }
  });
});

describe('invalid paging', () => {
  test.each([
    ['/v1/journeys?limit=0', ['limit']],
    ['/v1/templates?limit=201', ['limit']],
    ['/v1/segments?limit=ten', ['limit']],
    ['/v1/customers?limit=1.5', ['limit']],
    ['/v1/templates?after=not%20a%20cursor', ['after']],
    ['/v1/segments?after=', ['after']],
    ['/v1/journeys?status=running', ['status']],
    ['/v1/templates?channel=fax', ['channel']],
    ['/v1/customers?segmentId=a%20b', ['segmentId']],
  ])('when %s is asked for, then the API answers 400 naming the field', async (path, fields) => {
    expect(await refused(path)).toEqual(fields);
  });
});

describe('deletes', () => {
  beforeAll(async () => {
    for (const id of ['d-used', 'd-fallback-only', 'd-archived-only', 'd-free']) await ok('PUT', `/v1/templates/${id}`, email);
    await ok('PUT', '/v1/templates/d-web', { channel: 'web', content: { title: 'Hi', body: 'Hello' } });
    for (const id of ['d-entry', 'd-branch', 'd-seg-free']) await ok('PUT', `/v1/segments/${id}`, { name: id, rule: { attribute: 'plan', op: 'eq', value: 'pro' } });
    await ok('PUT', '/v1/journeys/d-published', journey('Published', [send('s', 'd-used', { fallback: { channel: 'web', template: 'd-web' } })], { entry: { type: 'segment', segmentId: 'd-entry' } }));
    await ok('PUT', '/v1/journeys/d-drafted/draft', journey('Drafted', [
      { id: 'which', type: 'branch', cases: [{ when: { segment: 'd-branch' }, next: 's' }], default: 's' },
      send('s', 'd-used'),
    ]));
    await ok('PUT', '/v1/journeys/d-archived', journey('Archived', [send('s', 'd-archived-only')]));
    await ok('POST', '/v1/journeys/d-archived/archive');
  }, 30_000);

  test.each([
    ['a template', '/v1/templates/d-used', ['"d-drafted"', '"d-published"']],
    ['a fallback template', '/v1/templates/d-web', ['"d-published"']],
    ['an entry segment', '/v1/segments/d-entry', ['"d-published"']],
    ['a branch segment of a draft', '/v1/segments/d-branch', ['"d-drafted"']],
  ])('when %s that journeys use is deleted, then the API answers 409 naming them and keeps it', async (_what, path, journeys) => {
    const res = await stack.api('DELETE', path);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain(`used by journeys ${journeys.join(', ')}`);
    expect((await stack.api('GET', path)).status).toBe(200);
  });

  test.each([
    ['a template no journey uses', '/v1/templates/d-free'],
    ['a template only an archived journey uses', '/v1/templates/d-archived-only'],
    ['a segment no journey uses', '/v1/segments/d-seg-free'],
  ])('when %s is deleted, then the API answers 204 and it is gone', async (_what, path) => {
    const res = await stack.api('DELETE', path);
    expect(res.status).toBe(204);
    expect((await stack.api('GET', path)).status).toBe(404);
    expect((await stack.api('DELETE', path)).status).toBe(404);
  });

  test('when a deleted template is listed, then it is not among the templates', async () => {
    expect((await walk('/v1/templates', 200)).ids).not.toContain('d-free');
  });

  test('when the journey that used a template is archived, then the template can be deleted', async () => {
    await ok('POST', '/v1/journeys/d-published/archive');
    expect((await stack.api('DELETE', '/v1/templates/d-web')).status).toBe(204);
  }, 30_000);
});
