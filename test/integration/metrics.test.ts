// Prometheus metrics, scraped over real HTTP: the API's /metrics (the API runs in this process)
// and a worker process's /metrics (its own port), which serves Cairn's counts and the Temporal
// SDK's. The worker is a process of its own because the SDK's runtime, and so its exporter, is
// made once per process, and the test stack's is made without one.
import { freePort } from '../../dev/servers';
import { launchWorkflowId } from '../../core/ids';
import { childProcesses, WORKER_SCRIPT } from '../support/processes';
import { API_KEY, eventually, Stack, startStack } from '../support/stack';
import { testEnv } from '../support/test-env';

let stack: Stack;
let workerMetricsUrl: string;
const processes = childProcesses();

beforeAll(async () => {
  stack = await startStack('metrics', { worker: false });
  const port = await freePort();
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  processes.start(WORKER_SCRIPT, 'metrics-worker', {
    ...stack.workerEnv,
    CAIRN_WORKFLOW_BUNDLE: testEnv().workflowBundlePath,
    CAIRN_WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
  });
});
afterAll(async () => {
  processes.killAll();
  await stack?.close();
});

/** One sample of a scrape: its metric name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    return [{ name: match[1], labels, value: Number(match[3]) }];
  });
}

/** The value of the one sample of `name` with exactly these labels; undefined when there is none. */
function valueOf(scrape: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = scrape.filter((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

async function scrape(url: string, key?: string): Promise<{ status: number; contentType: string | null; text: string }> {
  const res = await fetch(url, key ? { headers: { authorization: `Bearer ${key}` } } : {});
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

const send = (id: string, channel: string, template: string, next?: string) => ({ id, type: 'send', channel, template, ...(next ? { next } : {}) });

test('when journeys have sent on every channel, entered by launch, segment launch and event, then both /metrics endpoints count it with bounded labels', async () => {
  const templates: [string, object][] = [
    ['m-sms', { channel: 'sms', content: { body: 'Hi {{customer.firstName}}' } }],
    ['m-push', { channel: 'push', content: { title: 'Hi', body: 'Hello {{customer.firstName}}' } }],
    ['m-web', { channel: 'web', content: { title: 'Hi', body: 'Hello {{customer.firstName}}' } }],
    ['m-email', { channel: 'email', content: { subject: 'Hi {{customer.firstName}}', text: 'Hello' } }],
  ];
  for (const [id, body] of templates) expect((await stack.api('PUT', `/v1/templates/${id}`, body)).status).toBe(201);
  await stack.api('PUT', '/v1/customers/ada', {
    email: 'ada@example.test',
    phone: '+15550100101',
    pushTokens: [{ token: 'ada-device', platform: 'android' }],
    attributes: { firstName: 'Ada', plan: 'vip' },
  });
  await stack.api('PUT', '/v1/customers/bo', { email: 'bo@example.test', attributes: { firstName: 'Bo' } });

  // Launched at listed customers: Ada gets all four channels, Bo (no phone) is skipped.
  const journeys: [string, object[]][] = [
    ['metrics-welcome', [send('text', 'sms', 'm-sms', 'push'), send('push', 'push', 'm-push', 'web'), send('web', 'web', 'm-web', 'mail'), send('mail', 'email', 'm-email')]],
    ['metrics-text-only', [send('text', 'sms', 'm-sms')]],
  ];
  for (const [id, steps] of journeys) expect((await stack.api('PUT', `/v1/journeys/${id}`, { name: id, steps })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/metrics-welcome/launch', { customerIds: ['ada'] })).status).toBe(202);
  expect((await stack.api('POST', '/v1/journeys/metrics-text-only/launch', { customerIds: ['bo'] })).status).toBe(202);
  expect((await stack.run('metrics-welcome', 'ada').result()).sends.map((s) => s.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
  expect((await stack.run('metrics-text-only', 'bo').result()).sends.map((s) => [s.status, s.reason])).toEqual([['skipped', 'unreachable']]);

  // A segment launch, run by the worker.
  await stack.api('PUT', '/v1/segments/vip', { name: 'VIP', rule: { attribute: 'plan', op: 'eq', value: 'vip' } });
  expect((await stack.api('PUT', '/v1/journeys/metrics-vip-note', { name: 'metrics-vip-note', steps: [{ id: 'done', type: 'exit' }] })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/metrics-vip-note/launch', { segmentId: 'vip' })).status).toBe(202);
  expect(await stack.client.workflow.getHandle(launchWorkflowId('metrics-vip-note', 'vip')).result()).toMatchObject({ status: 'completed', entered: 1 });

  // Entered by an event, sent twice: once accepted, once a duplicate.
  const onEvent = { name: 'metrics-on-signup', entry: { type: 'event', event: 'signed_up' }, steps: [{ id: 'done', type: 'exit' }] };
  expect((await stack.api('PUT', '/v1/journeys/metrics-on-signup', onEvent)).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/metrics-on-signup/launch', {})).body.live).toBe(true);
  await new Promise((r) => setTimeout(r, 2_100)); // the live-journey cache
  const signUp = { id: 'cy-signup', customerId: 'cy', name: 'signed_up' };
  expect((await stack.api('POST', '/v1/events', signUp)).body).toEqual({ accepted: 1, duplicates: 0, suppressed: 0, suppressedEvents: [] });
  expect((await stack.api('POST', '/v1/events', signUp)).body).toEqual({ accepted: 0, duplicates: 1, suppressed: 0, suppressedEvents: [] });
  await stack.run('metrics-on-signup', 'cy').result();

  // A route that throws: counted under its pattern, not as unmatched.
  expect((await stack.api('POST', '/v1/journeys/ghost/launch', { customerIds: ['ada'] })).status).toBe(404);
  expect((await stack.api('GET', '/v1/no-such-thing')).status).toBe(404);

  // The API's endpoint takes an API key, like the rest of the API.
  expect((await scrape(`${stack.baseUrl}/metrics`)).status).toBe(401);
  const api = await scrape(`${stack.baseUrl}/metrics`, API_KEY);
  expect(api.status).toBe(200);
  expect(api.contentType).toContain('text/plain');
  const a = samples(api.text);
  const requests = (method: string, route: string, status: number) =>
    valueOf(a, 'cairn_http_request_duration_seconds_count', { method, route, status: String(status) });
  expect(requests('PUT', '/v1/templates/:id', 201)).toBe(4);
  expect(requests('POST', '/v1/journeys/:id/launch', 202)).toBe(4);
  expect(requests('POST', '/v1/journeys/:id/launch', 404)).toBe(1);
  expect(requests('POST', '/v1/events', 202)).toBe(2);
  expect(requests('GET', 'unmatched', 404)).toBe(1);
  // Bounded: route patterns only, never the IDs in paths.
  expect(a.filter((s) => 'route' in s.labels && /welcome|ada|ghost|no-such-thing/.test(s.labels.route))).toEqual([]);
  expect(valueOf(a, 'cairn_events_ingested_total', { outcome: 'accepted' })).toBe(1);
  expect(valueOf(a, 'cairn_events_ingested_total', { outcome: 'duplicate' })).toBe(1);
  expect(valueOf(a, 'cairn_journey_entries_total', { journey: 'metrics-welcome', source: 'launch', outcome: 'entered' })).toBe(1);
  expect(valueOf(a, 'cairn_journey_entries_total', { journey: 'metrics-text-only', source: 'launch', outcome: 'entered' })).toBe(1);
  expect(valueOf(a, 'cairn_journey_entries_total', { journey: 'metrics-on-signup', source: 'event', outcome: 'entered' })).toBe(1);
  // The API sends nothing: sends are the worker's.
  expect(a.filter((s) => s.name === 'cairn_sends_total')).toEqual([]);
  await eventually(async () => expect(valueOf(samples((await scrape(`${stack.baseUrl}/metrics`, API_KEY)).text), 'cairn_launches_running')).toBe(0));

  const worker = await scrape(workerMetricsUrl);
  expect(worker.status).toBe(200);
  const w = samples(worker.text);
  for (const channel of ['email', 'sms', 'push', 'web']) {
    expect([channel, valueOf(w, 'cairn_sends_total', { channel, outcome: 'sent', reason: '' })]).toEqual([channel, 1]);
  }
  expect(valueOf(w, 'cairn_sends_total', { channel: 'sms', outcome: 'skipped', reason: 'unreachable' })).toBe(1);
  // Time to first send: Ada's text, her run's first message; Bo's run sent nothing.
  expect(valueOf(w, 'cairn_first_send_seconds_count', { channel: 'sms' })).toBe(1);
  expect(valueOf(w, 'cairn_first_send_seconds_count', { channel: 'email' })).toBeUndefined();
  expect(valueOf(w, 'cairn_journey_entries_total', { journey: 'metrics-vip-note', source: 'launch', outcome: 'entered' })).toBe(1);
  expect(valueOf(w, 'cairn_launches_ended_total', { journey: 'metrics-vip-note', outcome: 'completed' })).toBe(1);
  // The Temporal SDK's own metrics, on the same endpoint.
  expect(w.filter((s) => s.name.startsWith('temporal_')).length).toBeGreaterThan(0);
  expect(w.some((s) => s.name.startsWith('temporal_sticky_cache'))).toBe(true);
}, 180_000);
