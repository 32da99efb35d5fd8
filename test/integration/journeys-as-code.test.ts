// The cairn CLI, built (`npm run build`) and run as a child process against a real stack's API,
// through a proxy that records every request: the example folder validates, diffs and applies,
// and applying it again reads but writes nothing.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { journeyDefinitionSchema } from '../../core/journey-definition';
import { freePort, REPO_ROOT } from '../../dev/servers';
import { API_KEY, startStack, type Stack } from '../support/stack';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'cairn.js');
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'journeys-as-code');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let stack: Stack;
let proxy: { url: string; calls: string[]; close(): Promise<void> };
let work: string;

/** The API behind a proxy that records each request's method and path. */
async function recordingProxy(target: string): Promise<typeof proxy> {
  const calls: string[] = [];
  const server: Server = createServer(async (req, res) => {
    calls.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'accept']) if (req.headers[name]) headers[name] = String(req.headers[name]);
    const answer = await fetch(target + req.url, { method: req.method, headers, body: chunks.length > 0 ? Buffer.concat(chunks) : undefined });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function cairn(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, CAIRN_API_URL: proxy.url, CAIRN_API_KEY: API_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Reads, and the server's check of a journey, which saves nothing. */
const isRead = (call: string) => call.startsWith('GET ') || /^POST \/v1\/journeys\/[^/]+\/validate$/.test(call);

/** The requests the CLI made during `run`, other than reads. */
async function writesDuring(run: () => Promise<Run>): Promise<{ result: Run; writes: string[] }> {
  const before = proxy.calls.length;
  const result = await run();
  return { result, writes: proxy.calls.slice(before).filter((call) => !isRead(call)) };
}

const edit = (file: string, from: string, to: string) => {
  const full = path.join(work, file);
  const text = readFileSync(full, 'utf8');
  expect(text).toContain(from);
  writeFileSync(full, text.replace(from, to));
};

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (npm test does)`);
  stack = await startStack('journeys-as-code', { worker: false });
  proxy = await recordingProxy(stack.baseUrl);
  work = mkdtempSync(path.join(tmpdir(), 'cairn-folder-'));
  cpSync(EXAMPLE, work, { recursive: true });
});

afterAll(async () => {
  rmSync(work, { recursive: true, force: true });
  await proxy?.close();
  await stack?.close();
});

test('when the example folder is validated, then every file passes offline', async () => {
  const { result, writes } = await writesDuring(() => cairn(['validate', EXAMPLE]));
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toContain('6 files, 7 resources: valid');
  expect(writes).toEqual([]);
});

test('when the server has none of it, then diff lists each resource to create and writes nothing', async () => {
  const { result, writes } = await writesDuring(() => cairn(['diff', EXAMPLE]));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  // Caps always exist on the server (no rules until set): setting them is a change.
  expect(result.stdout).toContain('~ setting frequency-caps (settings.yaml)');
  expect(result.stdout).toContain('    + rules[0]: {"id":"marketing-daily","limit":3,"window":"1d"}');
  expect(result.stdout).toContain('+ setting quiet-hours (settings.yaml)');
  expect(result.stdout).toContain('+ template cart-reminder (templates/cart-reminder.yaml)');
  expect(result.stdout).toContain('+ template vip-offer (templates/vip-offer.json)');
  expect(result.stdout).toContain('+ segment vip (segments/vip.yaml)');
  expect(result.stdout).toContain('+ journey abandoned-cart (journeys/abandoned-cart.yaml): publishes version 1');
  expect(result.stdout).toContain('6 to create, 1 to change, 0 to delete, 0 unchanged.');
  expect(writes).toEqual([]);
  expect((await cairn(['diff', EXAMPLE, '--exit-code'])).code).toBe(3);
});

test('when the folder is applied, then the server holds each resource as the files say', async () => {
  const { result, writes } = await writesDuring(() => cairn(['apply', EXAMPLE]));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('created template cart-reminder');
  expect(result.stdout).toContain('published journey abandoned-cart as version 1');
  expect(result.stdout).toContain('Applied 7 changes; 0 unchanged.');
  // Settings first, then templates and segments, then the journey that names them.
  expect(writes.map((w) => w.split('/')[2])).toEqual(['settings', 'settings', 'templates', 'templates', 'templates', 'segments', 'journeys']);

  const journey = await stack.api('GET', '/v1/journeys/abandoned-cart');
  const file = parseYaml(readFileSync(path.join(EXAMPLE, 'journeys/abandoned-cart.yaml'), 'utf8'));
  expect(journey.body).toMatchObject({ version: 1, definition: journeyDefinitionSchema.parse(file) });
  const template = await stack.api('GET', '/v1/templates/cart-reminder');
  expect(template.body.content.subject).toBe('You left {{event.properties.cartTotal}} EUR in your cart');
  expect((await stack.api('GET', '/v1/settings/frequency-caps')).body.rules.map((r: { id: string }) => r.id)).toEqual(['marketing-daily', 'sms-weekly']);
  expect((await stack.api('GET', '/v1/settings/quiet-hours')).body).toEqual({ start: '21:00', end: '08:00', timeZone: 'Europe/London' });
});

test('when the folder is applied a second time, then nothing is written and no version is published', async () => {
  const read = async () => ({
    journey: (await stack.api('GET', '/v1/journeys/abandoned-cart')).body,
    template: (await stack.api('GET', '/v1/templates/cart-reminder')).body,
    segment: (await stack.api('GET', '/v1/segments/vip')).body,
  });
  const before = await read();
  const { result, writes } = await writesDuring(() => cairn(['apply', EXAMPLE]));
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(result.stdout).toContain('No changes: the server matches the folder (7 resources).');
  expect(writes).toEqual([]);
  const after = await read();
  expect(after.journey.version).toBe(1);
  expect(after.journey.updatedAt).toBe(before.journey.updatedAt);
  expect(after.template.updatedAt).toBe(before.template.updatedAt);
  expect(after.segment.updatedAt).toBe(before.segment.updatedAt);

  const diff = await cairn(['diff', EXAMPLE, '--exit-code']);
  expect(diff).toMatchObject({ code: 0, stderr: '' });
  expect(diff.stdout).toContain('No changes');
});

test('when one template is edited, then diff shows that field alone and apply updates it without a journey version', async () => {
  edit('templates/cart-reminder.yaml', 'subject: "You left', 'subject: "Still yours:');
  const diff = await cairn(['diff', work, '--exit-code']);
  expect(diff.code).toBe(3);
  expect(diff.stdout.split('\n').filter((line) => /^[+~-] /.test(line))).toEqual(['~ template cart-reminder (templates/cart-reminder.yaml)']);
  expect(diff.stdout).toContain('    ~ content.subject: "You left {{event.properties.cartTotal}} EUR in your cart" → "Still yours: {{event.properties.cartTotal}} EUR in your cart"');
  expect(diff.stdout).toContain('0 to create, 1 to change, 0 to delete, 6 unchanged.');

  const { result, writes } = await writesDuring(() => cairn(['apply', work]));
  expect(result).toMatchObject({ code: 0, stderr: '' });
  expect(writes).toEqual(['PUT /v1/templates/cart-reminder']);
  expect((await stack.api('GET', '/v1/templates/cart-reminder')).body.content.subject).toMatch(/^Still yours:/);
  expect((await stack.api('GET', '/v1/journeys/abandoned-cart')).body.version).toBe(1);
});

test('when a step of the journey is edited, then diff names the step and apply publishes the next version', async () => {
  edit('journeys/abandoned-cart.yaml', 'duration: 1d', 'duration: 2d');
  const diff = await cairn(['diff', work]);
  expect(diff).toMatchObject({ code: 0, stderr: '' });
  expect(diff.stdout).toContain('~ journey abandoned-cart (journeys/abandoned-cart.yaml): publishes version 2');
  expect(diff.stdout).toContain('    ~ steps[id=wait-day].duration: "1d" → "2d"');

  const { result, writes } = await writesDuring(() => cairn(['apply', work]));
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('published journey abandoned-cart as version 2');
  expect(writes).toEqual(['PUT /v1/journeys/abandoned-cart']);
  const journey = (await stack.api('GET', '/v1/journeys/abandoned-cart')).body;
  expect(journey.version).toBe(2);
  expect(journey.definition.steps.find((s: { id: string }) => s.id === 'wait-day').duration).toBe('2d');
});

test('when a file is invalid, then validate names the file, line and field, and apply writes nothing', async () => {
  edit('journeys/abandoned-cart.yaml', 'duration: 2d', 'duration: two days');
  const validate = await cairn(['validate', work]);
  expect(validate.code).toBe(1);
  expect(validate.stderr).toMatch(/^\S*\/journeys\/abandoned-cart\.yaml:\d+:\d+: error: steps\[2\]\.duration: step "wait-day": must be a duration/m);
  expect(validate.stderr).toContain(`${path.join(work, 'journeys/abandoned-cart.yaml')}:`);
  expect(validate.stdout).toContain('invalid (1 error)');

  const before = proxy.calls.length;
  const apply = await cairn(['apply', work]);
  expect(apply.code).toBe(1);
  expect(apply.stderr).toContain('journeys/abandoned-cart.yaml');
  expect(proxy.calls.length).toBe(before);
  edit('journeys/abandoned-cart.yaml', 'duration: two days', 'duration: 2d');
});

test('when a journey names a template in neither place, then validate warns and diff refuses, naming the step', async () => {
  edit('journeys/abandoned-cart.yaml', 'template: vip-offer', 'template: vip-offr');
  const validate = await cairn(['validate', work]);
  expect(validate.code).toBe(0);
  expect(validate.stderr).toMatch(/journeys\/abandoned-cart\.yaml:\d+:\d+: warning: steps\[4\]\.template: step "vip-offer": template "vip-offr" is not in the folder/);

  const { result, writes } = await writesDuring(() => cairn(['apply', work]));
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/error: steps\[4\]\.template: step "vip-offer": template "vip-offr" is not in the folder or on the server/);
  expect(writes).toEqual([]);
  edit('journeys/abandoned-cart.yaml', 'template: vip-offr', 'template: vip-offer');
});

test('when --prune is given, then templates the folder lacks are deleted unless a journey uses them', async () => {
  const sms = { channel: 'sms', content: { body: 'Hello' } };
  expect((await stack.api('PUT', '/v1/templates/old-promo', sms)).status).toBe(201);
  expect((await stack.api('PUT', '/v1/templates/legacy-text', sms)).status).toBe(201);
  const legacy = { name: 'Legacy', steps: [{ id: 'text', type: 'send', channel: 'sms', template: 'legacy-text' }] };
  expect((await stack.api('PUT', '/v1/journeys/legacy', legacy)).status).toBe(201);

  const kept = await cairn(['diff', work]);
  expect(kept.stdout).toContain('No changes');
  expect(kept.stdout).toContain('On the server only, left alone: 2 templates, 1 journey (--prune deletes templates and segments the folder lacks).');

  const blocked = await writesDuring(() => cairn(['apply', work, '--prune']));
  expect(blocked.result.code).toBe(1);
  expect(blocked.result.stderr).toContain('- template legacy-text: error: cannot be deleted: used by journey "legacy"');
  expect(blocked.result.stderr).toContain('Nothing was applied.');
  expect(blocked.writes).toEqual([]);

  // Once the journey is archived the API lets its template go.
  expect((await stack.api('POST', '/v1/journeys/legacy/archive')).status).toBe(202);
  const pruned = await writesDuring(() => cairn(['apply', work, '--prune']));
  expect(pruned.result).toMatchObject({ code: 0, stderr: '' });
  expect(pruned.writes.sort()).toEqual(['DELETE /v1/templates/legacy-text', 'DELETE /v1/templates/old-promo']);
  expect((await stack.api('GET', '/v1/templates/old-promo')).status).toBe(404);
  expect((await stack.api('GET', '/v1/journeys/legacy')).status).toBe(200);
});

test('when the server cannot send on a channel a journey uses, then diff and apply say so from the server\'s check, before any write', async () => {
  const emailOnly = await startStack('journeys-as-code-email-only', { worker: false, apiChannels: ['email', 'web'] });
  try {
    const env = { CAIRN_API_URL: emailOnly.baseUrl };
    const apply = await cairn(['apply', EXAMPLE], env);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/^\S*\/journeys\/abandoned-cart\.yaml:\d+:\d+: error: steps\[5\]\.channel: the server refuses it: step "last-call": .*sms/m);
    expect(apply.stdout).toBe('');
    expect((await emailOnly.api('GET', '/v1/templates/cart-reminder')).status).toBe(404);
    expect((await emailOnly.api('GET', '/v1/settings/quiet-hours')).status).toBe(404);
  } finally {
    await emailOnly.close();
  }
});

test('when the key is wrong or the server unreachable, then the CLI says so and exits 1; without a key it is a usage error', async () => {
  const wrongKey = await cairn(['diff', EXAMPLE], { CAIRN_API_KEY: 'not-the-key' });
  expect(wrongKey.code).toBe(1);
  expect(wrongKey.stderr).toContain(`the Cairn API at ${proxy.url} refused the API key (401): check CAIRN_API_KEY or --api-key`);

  const closed = `http://127.0.0.1:${await freePort()}`;
  const unreachable = await cairn(['diff', EXAMPLE, '--api-url', closed]);
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toContain(`cannot reach the Cairn API at ${closed} (ECONNREFUSED): is it running?`);

  const noKey = await cairn(['apply', EXAMPLE], { CAIRN_API_KEY: undefined });
  expect(noKey.code).toBe(2);
  expect(noKey.stderr).toContain('no API key: set CAIRN_API_KEY or pass --api-key');
});

test('when the arguments are wrong, then the CLI prints the usage and exits 2', async () => {
  expect((await cairn(['frobnicate'])).code).toBe(2);
  expect((await cairn(['diff'])).stderr).toContain('Usage: cairn diff <dir>');
  expect((await cairn(['validate', path.join(work, 'missing')])).code).toBe(2);
  expect((await cairn(['apply', EXAMPLE, '--force'])).code).toBe(2);
  const help = await cairn(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('validate');
});

test('when the example journey is simulated with the example customer and events, then the path prints with the rendered reminder and nothing is written', async () => {
  expect((await cairn(['apply', EXAMPLE])).code).toBe(0);
  const simulation = path.join(EXAMPLE, 'simulation');
  const { result, writes } = await writesDuring(() =>
    cairn(['simulate', 'abandoned-cart', '--customer', path.join(simulation, 'customer.yaml'), '--events', path.join(simulation, 'events.yaml'), '--json']),
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(writes).toEqual(['POST /v1/journeys/abandoned-cart/simulate']);
  const answer = JSON.parse(result.stdout) as { steps: { stepId: string; type: string; outcome?: string; message?: { content: Record<string, string> } }[] };
  expect(answer.steps.map((s) => s.stepId)).toEqual(expect.arrayContaining(['wait-order', 'remind', 'wait-day', 'vip-check', 'last-call']));
  const remind = answer.steps.find((s) => s.stepId === 'remind');
  // The entry event's properties reach the template as `event`.
  expect(remind?.message?.content.subject).toBe('You left 42.5 EUR in your cart');

  const usage = await cairn(['simulate', 'abandoned-cart']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('give either --customer FILE or --customer-id ID');
});
