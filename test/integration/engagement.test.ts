// Engagement as events through the whole stack: a journey's email goes through the worker to the
// SMTP sink with its open pixel and click redirects; loading them over HTTP records
// message_opened / message_clicked once each, which a segment matches, a waitForEvent hears and
// stats count. Push opens through the app's call, inbox reads and clicks, tracking switched off
// per template, and an erased customer's links that record nothing.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { openedEventId } from '../../core/engagement-links';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('engagement');
  const ok = (r: { status: number }) => expect([200, 201]).toContain(r.status);
  for (const id of ['eng-ada', 'eng-bob', 'eng-cy', 'eng-gone']) {
    ok(await stack.api('PUT', `/v1/customers/${id}`, { email: `${id}@example.test`, pushTokens: [{ token: `${id}-device`, platform: 'android' }], attributes: {} }));
  }
  ok(
    await stack.api('PUT', '/v1/templates/eng-email', {
      channel: 'email',
      content: {
        subject: 'Spring sale',
        html: [
          '<html><body>',
          `<p><a href="${SALE_HTML}">The sale</a> or <a href="mailto:help@example.test">write to us</a>.</p>`,
          '<p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
          '</body></html>',
        ].join(''),
      },
    }),
  );
  ok(
    await stack.api('PUT', '/v1/templates/eng-email-plain', {
      channel: 'email',
      content: { subject: 'Receipt', html: `<body><a href="${SALE_HTML}">Your order</a></body>` },
      tracking: { opens: false, clicks: false },
    }),
  );
  ok(await stack.api('PUT', '/v1/templates/eng-thanks', { channel: 'web', content: { title: 'Thanks for looking', body: 'Here is more.', link: 'https://shop.example.test/more' } }));
  ok(await stack.api('PUT', '/v1/templates/eng-push', { channel: 'push', content: { title: 'Sale', body: 'Today only' } }));
  ok(
    await stack.api('PUT', '/v1/journeys/eng-mail', {
      name: 'Sale, then thanks to those who click',
      steps: [
        { id: 'mail', type: 'send', channel: 'email', template: 'eng-email', next: 'clicked' },
        { id: 'clicked', type: 'waitForEvent', event: 'message_clicked', match: { journeyId: 'eng-mail', stepId: 'mail' }, timeout: '1h', onEvent: 'thanks' },
        { id: 'thanks', type: 'send', channel: 'web', template: 'eng-thanks' },
      ],
    }),
  );
  ok(await stack.api('PUT', '/v1/journeys/eng-plain', { name: 'Untracked', steps: [{ id: 'mail', type: 'send', channel: 'email', template: 'eng-email-plain' }] }));
  ok(
    await stack.api('PUT', '/v1/templates/eng-reset', {
      channel: 'email',
      content: { subject: 'Reset your password', html: `<body><a href="${RESET_HTML}">Choose a new password</a></body>` },
    }),
  );
  ok(await stack.api('PUT', '/v1/journeys/eng-reset', { name: 'Reset', steps: [{ id: 'mail', type: 'send', channel: 'email', template: 'eng-reset', transactional: true }] }));
  ok(await stack.api('PUT', '/v1/journeys/eng-web', { name: 'Inbox', steps: [{ id: 'web', type: 'send', channel: 'web', template: 'eng-thanks' }] }));
  ok(await stack.api('PUT', '/v1/journeys/eng-push', { name: 'Push', steps: [{ id: 'push', type: 'send', channel: 'push', template: 'eng-push' }] }));
});
afterAll(async () => {
  await stack?.close();
});

const SALE = 'https://shop.example.test/sale?from=mail&utm=spring';
/** The same link as the template's HTML writes it. */
const SALE_HTML = SALE.replace(/&/g, '&amp;');
const RESET_HTML = 'https://shop.example.test/reset?token=s3cret&amp;user=eng-cy';

const launch = async (journeyId: string, customerIds: string[]) => expect((await stack.api('POST', `/v1/journeys/${journeyId}/launch`, { customerIds })).status).toBe(202);

/** Waits for it: `eventually` asks again while this throws. */
const found = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`no ${what} yet`);
  return value;
};

const mailTo = (customerId: string, subject: string) =>
  eventually(async () => found(stack.sink.messages.find((m) => m.to[0] === `${customerId}@example.test` && m.subject === subject), `mail to ${customerId}`));

const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
const pixelIn = (html: string) => /<img src="([^"]+)"/.exec(html)?.[1];

const get = (url: string) => fetch(url, { redirect: 'manual' });

const eventsOf = (customerId: string, name: string) => stack.db.models.events.find({ customerId, name }).lean();

describe('email', () => {
  test('when an email journey sends, then its pixel and links record one open and one click each, move the waiting run on, and show in segments and stats', async () => {
    await launch('eng-mail', ['eng-ada']);
    const mail = await mailTo('eng-ada', 'Spring sale');
    const key = `journey:eng-mail:eng-ada:1:mail:1`;

    // Web links go through the redirect; mailto: and the unsubscribe link stay as written.
    const links = hrefs(mail.html!);
    expect(links).toHaveLength(3);
    expect(links[0]).toMatch(new RegExp(`^${stack.baseUrl}/t/c/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    expect(links[1]).toBe('mailto:help@example.test');
    expect(links[2]).toMatch(new RegExp(`^${stack.baseUrl}/unsubscribe/`));
    expect(mail.html).not.toContain('shop.example.test');
    // The text part keeps the original link.
    expect(mail.text).toContain(SALE);
    const pixel = pixelIn(mail.html!)!;
    expect(pixel).toMatch(new RegExp(`^${stack.baseUrl}/t/o/`));

    // The pixel, loaded twice (a proxy, then the reader): a GIF each time, never cached, one event.
    for (let i = 0; i < 2; i++) {
      const res = await get(pixel);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      expect(res.headers.get('cache-control')).toContain('no-store');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    const opens = await eventsOf('eng-ada', 'message_opened');
    expect(opens).toHaveLength(1);
    expect(opens[0]._id).toBe(openedEventId(key));
    expect(opens[0].properties).toEqual({ journeyId: 'eng-mail', stepId: 'mail', channel: 'email', sendKey: key, templateId: 'eng-email' });

    // The link, followed twice: a 302 to the original URL each time, one click event.
    for (let i = 0; i < 2; i++) {
      const res = await get(links[0]);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(SALE);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const clicks = await eventsOf('eng-ada', 'message_clicked');
    expect(clicks).toHaveLength(1);
    expect(clicks[0].properties).toEqual({ journeyId: 'eng-mail', stepId: 'mail', channel: 'email', sendKey: key, templateId: 'eng-email', url: SALE });
    expect(await eventsOf('eng-ada', 'message_opened')).toHaveLength(1);

    // The customer's engagement roll-up, which best-time waits and best-channel sends read, counted both once.
    const ada = (await stack.db.models.customers.findById('eng-ada').lean())!;
    expect(ada.engagement?.channels?.email).toMatchObject({ opened: 1, clicked: 1 });
    expect(Object.values(ada.engagement?.hours ?? {}).reduce((sum, n) => sum + n, 0)).toBe(2);

    // The run waiting for message_clicked moved on and sent the thanks.
    await stack.run('eng-mail', 'eng-ada').result();
    const inbox = await stack.api('GET', '/v1/customers/eng-ada/inbox');
    expect(inbox.body.messages.map((m: { title: string }) => m.title)).toEqual(['Thanks for looking']);

    // The ledger keeps the first open and click; the customer's messages show them.
    const row = await stack.db.models.deliveries.findById(key).lean();
    expect(row?.openedAt).toBeInstanceOf(Date);
    expect(row?.clickedAt).toBeInstanceOf(Date);
    const messages = await stack.api('GET', '/v1/customers/eng-ada/messages');
    const sent = messages.body.items.find((m: { key: string }) => m.key === key);
    expect(sent.openedAt).toBe(row!.openedAt!.toISOString());
    expect(sent.clickedAt).toBe(row!.clickedAt!.toISOString());

    // A segment of customers who clicked an email in the last 7 days (the README's example).
    const segment = await stack.api('PUT', '/v1/segments/eng-email-clickers', {
      name: 'Clicked an email this week',
      rule: { event: 'message_clicked', where: { channel: 'email' }, op: 'did', within: '7d' },
    });
    expect([200, 201]).toContain(segment.status);
    expect((await stack.api('GET', '/v1/segments/eng-email-clickers/members/eng-ada')).body).toEqual({ member: true });
    expect((await stack.api('GET', '/v1/segments/eng-email-clickers/members/eng-bob')).body).toEqual({ member: false });
    await stack.api('PUT', '/v1/segments/eng-openers', { name: 'Opened anything', rule: { event: 'message_opened', op: 'did', within: '7d' } });
    const preview = await stack.api('POST', '/v1/segments/eng-openers/preview');
    expect(preview.body.sample).toContain('eng-ada');

    // Stats: the email step sent one message, opened and clicked.
    const stats = await stack.api('GET', '/v1/journeys/eng-mail/stats');
    expect(stats.body.steps.mail).toMatchObject({ opened: 1, clicked: 1, openRate: 1, clickRate: 1 });
  });

  test('when a tracking token is altered or forged for another URL, then the answer is a 404 and never a redirect', async () => {
    const mail = await mailTo('eng-ada', 'Spring sale');
    const link = hrefs(mail.html!)[0];
    const token = link.slice(link.lastIndexOf('/') + 1);
    const [body, mac] = token.split('.');
    const foreign = Buffer.from(JSON.stringify({ p: 'message-click', d: { k: 'journey:eng-mail:eng-ada:1:mail:1', u: 'https://evil.example/' } })).toString('base64url');
    const pixel = pixelIn(mail.html!)!;
    for (const url of [
      `${stack.baseUrl}/t/c/${foreign}.${mac}`,
      `${stack.baseUrl}/t/c/${body}.${mac.slice(0, -2)}AA`,
      `${stack.baseUrl}/t/c/not-a-token`,
      // An open token is no click token.
      `${stack.baseUrl}/t/c/${pixel.slice(pixel.lastIndexOf('/') + 1)}`,
      `${stack.baseUrl}/t/c/${body}x.${mac}?url=https://evil.example/`,
    ]) {
      const res = await get(url);
      expect(res.status).toBe(404);
      expect(res.headers.get('location')).toBeNull();
    }
    const tampered = await get(`${stack.baseUrl}/t/o/${body}.${mac}`);
    expect(tampered.status).toBe(404);
  });

  test('when a template turns tracking off, then its email has no pixel and its links as written', async () => {
    await launch('eng-plain', ['eng-bob']);
    const mail = await mailTo('eng-bob', 'Receipt');
    expect(hrefs(mail.html!)).toEqual([SALE_HTML]);
    expect(pixelIn(mail.html!)).toBeUndefined();
    const template = await stack.api('GET', '/v1/templates/eng-email-plain');
    expect(template.body.tracking).toEqual({ opens: false, clicks: false });
  });

  test('when a send is transactional, then its links go out as written (a reset link is a secret), and its pixel still records the open', async () => {
    await launch('eng-reset', ['eng-cy']);
    const mail = await mailTo('eng-cy', 'Reset your password');
    expect(hrefs(mail.html!)).toEqual([RESET_HTML]);
    expect((await get(pixelIn(mail.html!)!)).status).toBe(200);
    await eventually(async () => expect(await eventsOf('eng-cy', 'message_opened')).toHaveLength(1));
  });

  test('when a customer is erased, then their links still lead where they did but record nothing', async () => {
    await launch('eng-mail', ['eng-gone']);
    const mail = await mailTo('eng-gone', 'Spring sale');
    // Opened before the erasure: stats keep counting it afterwards, from the erased row.
    expect((await get(pixelIn(mail.html!)!)).status).toBe(200);
    const before = (await stack.api('GET', '/v1/journeys/eng-mail/stats')).body.steps.mail;
    expect(before).toMatchObject({ opened: 2, clicked: 1, openRate: 1, clickRate: 0.5 });
    expect((await stack.api('DELETE', '/v1/customers/eng-gone')).status).toBe(200);
    expect((await stack.api('GET', '/v1/journeys/eng-mail/stats')).body.steps.mail).toMatchObject({ opened: 2, clicked: 1, openRate: 1, clickRate: 0.5 });
    expect((await get(pixelIn(mail.html!)!)).status).toBe(200);
    const click = await get(hrefs(mail.html!)[0]);
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe(SALE);
    expect(await stack.db.models.events.countDocuments({ customerId: 'eng-gone' })).toBe(0);
    expect(await stack.db.models.customers.countDocuments({ _id: 'eng-gone' })).toBe(0);
    expect(await stack.db.models.deliveries.countDocuments({ customerId: 'eng-gone' })).toBe(0);
    // The links of the erased send wrote nothing back: the opened row is the erased one only.
    expect(await stack.db.models.deliveries.countDocuments({ _id: 'journey:eng-mail:eng-gone:1:mail:1' })).toBe(0);
  });
});

test('when an app reports a push opened with the token FCM carried, then one message_opened is recorded with channel push', async () => {
  await launch('eng-push', ['eng-bob']);
  const push = await eventually(async () => found(stack.fcm.messages.find((m) => m.token === 'eng-bob-device'), 'push'));
  const token = (push.message.data as Record<string, string> | undefined)?.cairnOpenToken;
  expect(token).toBeDefined();
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${stack.baseUrl}/v1/push/opened`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ recorded: true });
  }
  const opens = (await eventsOf('eng-bob', 'message_opened')).filter((e) => e.properties?.journeyId === 'eng-push');
  expect(opens).toHaveLength(1);
  expect(opens[0].properties).toMatchObject({ channel: 'push', stepId: 'push', templateId: 'eng-push' });

  const bad = await fetch(`${stack.baseUrl}/v1/push/opened`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: `${token}x` }) });
  expect(bad.status).toBe(401);
  expect(((await bad.json()) as { error: { message: string } }).error.message).toBe('the open token has an invalid signature');
});

test('when an inbox message is read and its link clicked, then message_opened and message_clicked are recorded once with channel web', async () => {
  // eng-ada's thanks message, sent once she clicked the email (first test).
  await stack.run('eng-mail', 'eng-ada').result();
  const issued = await stack.api('POST', '/v1/customers/eng-ada/inbox-token', {});
  const auth = { authorization: `Bearer ${issued.body.token}` };
  const list = (await (await fetch(`${stack.baseUrl}/inbox/messages`, { headers: auth })).json()) as { messages: { id: string }[] };
  const message = list.messages[0];
  const key = 'journey:eng-mail:eng-ada:1:thanks:1';
  expect(message.id).toBe(key);
  for (let i = 0; i < 2; i++) {
    expect((await fetch(`${stack.baseUrl}/inbox/messages/${encodeURIComponent(key)}/read`, { method: 'POST', headers: auth })).status).toBe(200);
    expect((await fetch(`${stack.baseUrl}/inbox/messages/${encodeURIComponent(key)}/click`, { method: 'POST', headers: auth })).status).toBe(200);
  }
  const ofThanks = (events: { properties?: Record<string, unknown> }[]) => events.filter((e) => e.properties?.sendKey === key);
  expect(ofThanks(await eventsOf('eng-ada', 'message_opened'))).toHaveLength(1);
  const clicks = ofThanks(await eventsOf('eng-ada', 'message_clicked'));
  expect(clicks).toHaveLength(1);
  expect(clicks[0].properties).toEqual({ journeyId: 'eng-mail', stepId: 'thanks', channel: 'web', sendKey: key, templateId: 'eng-thanks', url: 'https://shop.example.test/more' });

  const stats = await stack.api('GET', '/v1/journeys/eng-mail/stats');
  expect(stats.body.steps.thanks).toMatchObject({ opened: 1, clicked: 1 });
});

const CHROMIUM = '/usr/bin/chromium';

test('when a customer clicks a message with a link in the inbox widget, in a browser, then its read and its click are recorded before the link is followed', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: \`npm run setup\` installs Debian's chromium package`);
  await launch('eng-web', ['eng-cy']);
  const key = 'journey:eng-web:eng-cy:1:web:1';
  await eventually(async () => found((await stack.db.models.inbox.findById(key).lean()) ?? undefined, 'inbox message'));
  const { token } = (await stack.api('POST', '/v1/customers/eng-cy/inbox-token', {})).body;

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const page = await browser.newPage();
    // The customer's site (served here on the API's origin) mounts the widget as docs/web-inbox.md shows.
    await page.route(`${stack.baseUrl}/site`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><div id="inbox"></div><script src="/inbox/cairn-inbox.js"></script>
<script>CairnInbox.mount({ baseUrl: location.origin, element: document.getElementById('inbox'), token: ${JSON.stringify(token)} });</script>`,
      }),
    );
    await page.route('https://shop.example.test/**', (route) => route.fulfill({ contentType: 'text/html', body: '<p>The shop</p>' }));
    await page.goto(`${stack.baseUrl}/site`);
    await page.click('.cairn-inbox-bell');
    await page.click('.cairn-inbox-item');
    await page.waitForURL('https://shop.example.test/more');
  } finally {
    await browser.close();
  }
  const ofSend = async (name: string) => (await eventsOf('eng-cy', name)).filter((e) => e.properties?.sendKey === key);
  expect(await ofSend('message_opened')).toHaveLength(1);
  expect((await ofSend('message_clicked')).map((e) => e.properties?.url)).toEqual(['https://shop.example.test/more']);
  expect((await stack.db.models.inbox.findById(key).lean())?.readAt).toBeInstanceOf(Date);
});
