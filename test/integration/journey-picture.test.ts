// The journey picture (/journeys/{id}) in a real browser: Debian's chromium (installed by
// `npm run setup`), driven by playwright-core, against the whole stack. Every number drawn must
// equal GET /v1/journeys/{id}/stats; the API key is asked once, kept for the tab's session and
// never put in a URL.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { JourneyDefinition, Step } from '../../core/journey-definition';
import type { JourneyStats } from '../../lib/journey-stats';
import { API_KEY, eventually, REJECTED_DOMAIN, Stack, startStack } from '../support/stack';

// The browser's globals, for the functions playwright runs in the page (the project compiles
// without the DOM library).
interface PageElement {
  textContent: string | null;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
declare const document: PageElement & { getElementById(id: string): (PageElement & { clientWidth: number }) | null };
declare const sessionStorage: { length: number };

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.join(__dirname, '../..');
const example = (file: string) => JSON.parse(readFileSync(path.join(ROOT, 'templates', file), 'utf8'));

/**
 * Set to a PNG path (docs/journey-picture.png), this file also takes the README's screenshot; run
 * it alone then, so the journey can keep the README's ID. Otherwise the IDs are this file's own:
 * Temporal is shared by the test files of a run, and stats count runs by journey ID.
 */
const SHOT = process.env.CAIRN_PICTURE_SHOT;
const WELCOME = SHOT ? 'welcome' : 'picture-welcome';
const PATHS = 'picture-paths';

/** The README's example journey (the tour's step 3): email, wait a minute, web message. */
const welcome: JourneyDefinition = example('welcome-journey.json');

/** Every step type the picture draws, and each kind of labelled link. */
const paths: JourneyDefinition = {
  name: 'Pro offers',
  description: 'Pro customers get an offer on one of two paths, or nothing (the holdout).',
  steps: [
    { id: 'hello', type: 'send', channel: 'web', template: 'tips-web', next: 'plan' },
    { id: 'plan', type: 'branch', cases: [{ when: { rule: { attribute: 'plan', op: 'eq', value: 'pro' } }, next: 'ab' }], default: 'bye' },
    {
      id: 'ab',
      type: 'split',
      paths: [
        { name: 'A', weight: 1, next: 'hold-a' },
        { name: 'B', weight: 1, next: 'hold-b' },
      ],
      holdout: { weight: 1 },
    },
    { id: 'hold-a', type: 'waitForEvent', event: 'upgraded', timeout: '1d', onEvent: 'bye' },
    { id: 'hold-b', type: 'wait', duration: '1d', next: 'bye' },
    { id: 'bye', type: 'exit' },
  ],
};

/** Through the README's journey: sent, skipped (no address; web opt-out), failed (refused). */
const firstGroup = [
  { id: 'ada', email: 'ada@example.test', attributes: { firstName: 'Ada', plan: 'pro' } },
  { id: 'grace', email: 'grace@example.test', attributes: { firstName: 'Grace', plan: 'team' } },
  { id: 'linus', attributes: { firstName: 'Linus', plan: 'free' } },
  { id: 'bounce', email: `nobody@${REJECTED_DOMAIN}`, attributes: { firstName: 'Bo', plan: 'free' } },
  { id: 'mute', email: 'mute@example.test', consent: { web: false }, attributes: { firstName: 'Mu', plan: 'pro' } },
];
/** Goes through once the picture is up: its numbers must move. */
const latecomer = { id: 'hedy', email: 'hedy@example.test', attributes: { firstName: 'Hedy', plan: 'pro' } };
const pathCustomers = Array.from({ length: 8 }, (_, i) => ({ id: `paths-${i}`, attributes: { firstName: `P${i}`, plan: i < 6 ? 'pro' : 'free' } }));

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: \`npm run setup\` installs Debian's chromium package`);
  stack = await startStack('journey-picture');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  for (const t of ['welcome-email', 'tips-web']) expect((await stack.api('PUT', `/v1/templates/${t}`, example(`${t}.json`))).status).toBe(201);
  for (const { id, ...body } of [...firstGroup, latecomer, ...pathCustomers]) {
    expect((await stack.api('PUT', `/v1/customers/${id}`, body)).status).toBe(201);
  }
  expect((await stack.api('PUT', `/v1/journeys/${WELCOME}`, welcome)).status).toBe(201);
  expect((await stack.api('PUT', `/v1/journeys/${PATHS}`, paths)).status).toBe(201);
  // The README's journey waits a minute: its first customers start now, the tests below run meanwhile.
  expect((await stack.api('POST', `/v1/journeys/${WELCOME}/launch`, { customerIds: firstGroup.map((c) => c.id) })).status).toBe(202);
  expect((await stack.api('POST', `/v1/journeys/${PATHS}/launch`, { customerIds: pathCustomers.map((c) => c.id) })).status).toBe(202);
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** A browser tab of its own (its own session storage), recording every URL it asks for and every error it shows. */
async function openTab(viewport = SHOT ? { width: 1100, height: 800 } : { width: 1280, height: 860 }) {
  const context: BrowserContext = await browser.newContext({ viewport, deviceScaleFactor: SHOT ? 2 : 1 });
  const page = await context.newPage();
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    urls.push(request.url());
    // The key travels in the API's header, and only to the API.
    const auth = request.headers().authorization;
    if (new URL(request.url()).pathname.startsWith('/v1/') !== (auth !== undefined)) errors.push(`${request.url()}: authorization ${auth}`);
  });
  page.on('console', (message) => {
    // The browser reports every 4xx the page reads (a refused key, an unknown journey) as an error; the page answers those itself.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[14]/.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, urls, errors };
}

async function enterKey(page: Page, key: string) {
  await page.locator('#key-form').waitFor({ state: 'visible' });
  await page.fill('#key-input', key);
  await page.click('#key-form button[type="submit"]');
}

interface Drawn {
  steps: Record<string, Record<string, number>>;
  totals: Record<string, number>;
}

/** The numbers as the page shows them (their visible text), by step and by data-stat. */
function readPicture(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const shown = (el: PageElement) => {
      const value = Number(el.textContent!.replace(/,/g, ''));
      if (String(value) !== el.getAttribute('data-value')) throw new Error(`"${el.textContent}" is drawn for data-value ${el.getAttribute('data-value')}`);
      return value;
    };
    const steps: Record<string, Record<string, number>> = {};
    for (const g of document.querySelectorAll('#canvas g[data-step]')) {
      const numbers: Record<string, number> = {};
      for (const n of g.querySelectorAll('[data-stat]')) numbers[n.getAttribute('data-stat')!] = shown(n);
      steps[g.getAttribute('data-step')!] = numbers;
    }
    const totals: Record<string, number> = {};
    for (const t of document.querySelectorAll('#totals [data-total]')) totals[t.getAttribute('data-total')!] = shown(t.querySelector('.n')!);
    return { steps, totals };
  });
}

type Counts = Record<string, number>;
const prefixed = (prefix: string, counts: Counts = {}) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${prefix}.${k}`, v]));

/**
 * What the picture must show for a step: every number of its stats, by the same key; a send's
 * three outcomes even when 0. Its sends per channel only beside a fallback (else they repeat
 * `sent`).
 */
function expectedStep(step: Step, stats: JourneyStats): Counts {
  const s = stats.steps[step.id];
  const out: Counts = { entered: s.entered, now: s.now };
  if (step.type === 'send') {
    Object.assign(out, prefixed('deliveries', { sent: 0, skipped: 0, failed: 0, ...s.deliveries }), prefixed('provider', s.provider));
    if (step.channel === 'best') Object.assign(out, prefixed('byChannelUsed', s.byChannelUsed));
    else if (step.fallback) Object.assign(out, { fallbacks: s.fallbacks ?? 0 }, prefixed('byChannelUsed', s.byChannelUsed));
  }
  if (step.type === 'split') {
    const names = [...step.paths.map((p) => p.name), ...(step.holdout ? ['holdout'] : [])];
    Object.assign(out, Object.fromEntries(names.map((name) => [`splits.${name}`, stats.splits[step.id]?.[name] ?? 0])));
  }
  return out;
}

const stats = async (journeyId: string): Promise<JourneyStats> => (await stack.api('GET', `/v1/journeys/${journeyId}/stats`)).body;

/**
 * Reads the stats, waits for the page to refresh after that, reads the picture, reads the stats
 * again: when the two reads agree, the numbers held still throughout and the picture must show
 * exactly them. When they differ, runs moved meanwhile: look again.
 */
async function expectPictureEqualsStats(page: Page, journeyId: string, definition: JourneyDefinition): Promise<JourneyStats> {
  for (let look = 1; ; look++) {
    const before = await stats(journeyId);
    const askedAt = Date.now();
    await page.waitForFunction((t) => Number(document.getElementById('refreshed')?.getAttribute('data-refreshed-at')) > t, askedAt, { timeout: 30_000 });
    const drawn = await readPicture(page);
    const after = await stats(journeyId);
    if (!isDeepStrictEqual(before, after)) {
      if (look === 20) throw new Error(`the stats of ${journeyId} never held still between two reads`);
      continue;
    }
    expect(drawn.steps).toEqual(Object.fromEntries(definition.steps.map((step) => [step.id, expectedStep(step, after)])));
    expect(drawn.totals).toEqual({
      entered: after.entered,
      running: after.running,
      waiting: after.waiting,
      completed: after.completed,
      exited: after.exited,
      stopped: after.stopped,
      converted: after.converted,
    });
    return after;
  }
}

test('when the page and its files are served, then they carry a CSP without inline script and need no key', async () => {
  const page = await fetch(`${stack.baseUrl}/journeys/${WELCOME}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  const csp = page.headers.get('content-security-policy')!;
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("form-action 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  const html = await page.text();
  expect(html).not.toMatch(/<script>|<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|\son\w+=/);
  for (const [file, type] of [
    ['journey-picture.js', 'text/javascript'],
    ['journey-picture.css', 'text/css'],
    ['dagre.min.js', 'text/javascript'],
  ]) {
    const asset = await fetch(`${stack.baseUrl}/assets/${file}`);
    expect([file, asset.status, asset.headers.get('content-type')]).toEqual([file, 200, expect.stringContaining(type)]);
  }
  expect((await fetch(`${stack.baseUrl}/assets/other.js`)).status).toBe(400);
  expect((await fetch(`${stack.baseUrl}/journeys/-bad`)).status).toBe(400);
});

test('when a wrong API key is entered, then the page says the key was refused, asks again and keeps nothing', async () => {
  const { context, page, urls, errors } = await openTab();
  await page.goto(`${stack.baseUrl}/journeys/${WELCOME}`);
  await enterKey(page, 'not-the-key');
  await page.locator('#key-error').waitFor({ state: 'visible' });
  expect(await page.textContent('#key-error')).toContain('The API refused this key');
  expect(await page.isVisible('#key-form')).toBe(true);
  expect(await page.isVisible('#canvas')).toBe(false);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  // The right key then opens the picture.
  await enterKey(page, API_KEY);
  await page.locator(`#canvas g[data-step="welcome"]`).waitFor();
  expect(urls.filter((u) => u.includes('not-the-key') || u.includes(API_KEY))).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});

test('when a journey with a branch, a split and an event wait is open, then every step shows its stats and each link its label', async () => {
  // Settled: every run waits on hold-a or hold-b (a day), or has ended.
  const settled = await eventually(async () => {
    const s = await stats(PATHS);
    expect(s.completed + s.waiting).toBe(pathCustomers.length);
    expect(s.steps['hold-a'].now + s.steps['hold-b'].now).toBe(s.waiting);
    return s;
  }, 60_000);
  expect(settled.steps.plan.entered).toBe(8);
  expect(settled.steps.ab.entered).toBe(6);
  expect(Object.values(settled.splits.ab).reduce((a, b) => a + b, 0)).toBe(6);
  expect(settled.steps.bye.entered).toBe(2);

  const { context, page, urls, errors } = await openTab();
  await page.goto(`${stack.baseUrl}/journeys/${PATHS}`);
  await enterKey(page, API_KEY);
  await page.locator('#canvas g[data-step="ab"]').waitFor();
  await expectPictureEqualsStats(page, PATHS, paths);

  expect(await page.textContent('#journey-name')).toBe('Pro offers');
  expect(await page.textContent('#journey-status')).toBe('published');
  const labels = await page.$$eval('#canvas .edge-label text', (texts) => texts.map((t) => t.textContent).sort());
  expect(labels).toEqual(['A · 33.3%', 'B · 33.3%', 'case 1 (rule)', 'holdout · 33.3%', 'otherwise', 'timeout 1d', 'upgraded'].sort());
  const types = await page.$$eval('#canvas g[data-step]', (groups) => groups.map((g) => [g.getAttribute('data-step'), g.querySelector('.type')!.textContent]));
  expect(types).toEqual([
    ['hello', 'Send · web'],
    ['plan', 'Branch'],
    ['ab', 'Split'],
    ['hold-a', 'Wait for event'],
    ['hold-b', 'Wait'],
    ['bye', 'Exit'],
  ]);

  if (SHOT) await page.screenshot({ path: SHOT.replace(/\.png$/, '-paths.png'), fullPage: true });

  // Fitted to the width to begin with; zoomed in, wider than the window, and scrolling sideways.
  const widths = () => page.evaluate(() => [document.getElementById('canvas')!.clientWidth, Number(document.querySelector('#canvas svg')!.getAttribute('width'))]);
  const [room, fitted] = await widths();
  expect(fitted).toBeLessThanOrEqual(room);
  for (let i = 0; i < 4; i++) await page.click('#zoom-in');
  const [, zoomed] = await widths();
  expect(zoomed).toBeGreaterThan(room);
  await page.click('#zoom-fit');
  expect((await widths())[1]).toBe(fitted);

  // The status follows the journey.
  expect((await stack.api('POST', `/v1/journeys/${PATHS}/pause`)).status).toBe(202);
  await page.locator('#journey-status', { hasText: 'paused' }).waitFor({ timeout: 30_000 });
  expect((await stack.api('POST', `/v1/journeys/${PATHS}/resume`)).status).toBe(202);

  // A reload keeps the key for the tab's session: no form, the picture again.
  await page.reload();
  await page.locator('#canvas g[data-step="ab"]').waitFor();
  expect(await page.isVisible('#key-form')).toBe(false);
  await expectPictureEqualsStats(page, PATHS, paths);

  expect(urls.filter((u) => u.includes(API_KEY))).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});

test('when the journey does not exist, is a code-first journey or only a draft, then the page says so, and draws the draft once published', async () => {
  const { context, page, errors } = await openTab();
  await page.goto(`${stack.baseUrl}/journeys/no-such-journey`);
  await enterKey(page, API_KEY);
  await page.locator('#notice').waitFor({ state: 'visible' });
  expect(await page.textContent('#notice')).toContain('No journey "no-such-journey"');
  await page.goto(`${stack.baseUrl}/journeys/onboarding`);
  await page.locator('#notice').waitFor({ state: 'visible' });
  expect(await page.textContent('#notice')).toContain('"onboarding" is a code-first journey');
  expect(await page.textContent('#notice')).toContain('no step graph');
  expect(await page.isVisible('#key-form')).toBe(false);

  // A draft is not drawn until it is published; the page looks again by itself.
  expect((await stack.api('PUT', '/v1/journeys/picture-draft/draft', { name: 'Draft', steps: [{ id: 'only', type: 'send', channel: 'web', template: 'tips-web' }] })).status).toBe(201);
  await page.goto(`${stack.baseUrl}/journeys/picture-draft`);
  await page.locator('#notice', { hasText: 'has no published version yet' }).waitFor();
  expect((await stack.api('POST', '/v1/journeys/picture-draft/publish')).status).toBe(200);
  await page.locator('#canvas g[data-step="only"]').waitFor({ timeout: 30_000 });
  expect(await page.isVisible('#notice')).toBe(false);
  expect(errors).toEqual([]);
  await context.close();
});

test("when the README's example journey runs, then the picture shows its stats and follows another customer through", async () => {
  // The first customers all through the minute's wait, so the numbers hold still.
  await eventually(async () => expect((await stats(WELCOME)).completed).toBe(firstGroup.length), 150_000);

  const { context, page, urls, errors } = await openTab();
  await page.goto(`${stack.baseUrl}/journeys/${WELCOME}`);
  await enterKey(page, API_KEY);
  await page.locator('#canvas g[data-step="tips"]').waitFor();
  const through = await expectPictureEqualsStats(page, WELCOME, welcome);
  expect(through.steps.welcome.deliveries).toEqual({
    sent: 3,
    skipped: 1,
    'skipped:unreachable': 1,
    failed: 1,
    'failed:ChannelPermanentRejection': 1,
  });
  expect(through.steps.tips.deliveries).toEqual({ sent: 4, skipped: 1, 'skipped:unsubscribed': 1 });

  // Another customer: the numbers move without a reload once the run waits on the pause, in
  // place (the same drawing, not a new one swapped in: nothing flickers).
  await page.evaluate(() => document.querySelector('#canvas svg')!.setAttribute('data-probe', 'first drawing'));
  expect((await stack.api('POST', `/v1/journeys/${WELCOME}/launch`, { customerIds: [latecomer.id] })).status).toBe(202);
  await page.waitForFunction(() => document.querySelector('#canvas g[data-step="pause"] [data-stat="now"]')?.textContent === '1', undefined, { timeout: 60_000 });
  const moved = await expectPictureEqualsStats(page, WELCOME, welcome);
  expect(moved.steps.welcome.deliveries?.sent).toBe(4);
  expect(moved.steps.pause.now).toBe(1);
  expect(await page.getAttribute('#canvas svg', 'data-probe')).toBe('first drawing');

  if (SHOT) {
    await page.screenshot({ path: SHOT, fullPage: true });
  }

  const apiCalls = urls.filter((u) => u.includes('/v1/'));
  expect(apiCalls.length).toBeGreaterThan(4);
  expect(urls.filter((u) => u.includes(API_KEY))).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
}, 240_000);
