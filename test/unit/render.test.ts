import { renderContent, renderContext, TemplateSyntaxError } from '../../core/render';
import { checkTemplate } from '../../core/template-check';
import { renderedProblem, type EmailContent, type WebContent } from '../../core/template-content';

const customer = {
  _id: 'cust-1',
  email: 'ada@example.com',
  timeZone: 'Europe/London',
  attributes: { firstName: '<script>alert(1)</script>', plan: 'pro' },
};

describe('renderContext', () => {
  it('when built, then it exposes the attributes plus id, email and timeZone and the journey ID', () => {
    expect(renderContext(customer, 'welcome')).toEqual({
      customer: {
        firstName: '<script>alert(1)</script>',
        plan: 'pro',
        id: 'cust-1',
        email: 'ada@example.com',
        timeZone: 'Europe/London',
      },
      journey: { id: 'welcome' },
      events: {},
    });
  });

  it('when the run carries events, then the entry event is `event` and waitForEvent events are `events`', () => {
    const event = { name: 'cart_abandoned', timestamp: '2026-01-02T03:04:05.000Z', properties: { cartTotal: 42 } };
    const paid = { name: 'payment_added', timestamp: '2026-01-02T04:00:00.000Z' };
    const context = renderContext(customer, 'cart', { event, events: { 'wait-pay': paid } });
    expect(context).toMatchObject({ event, events: { 'wait-pay': paid } });
    const out = renderContent({ body: '{{event.name}} {{event.properties.cartTotal}} {{events.wait-pay.name}} {{event.timestamp}}' }, context);
    expect(out.body).toBe('cart_abandoned 42 payment_added 2026-01-02T03:04:05.000Z');
  });

  it('when an attribute is named id, then the customer ID wins', () => {
    const context = renderContext({ _id: 'real-id', attributes: { id: 'spoofed-id' } }, 'j');
    expect(context.customer.id).toBe('real-id');
  });

  it('when built, then the attributes object passed in is not modified', () => {
    const attributes = { id: 'attr-id', plan: 'free' };
    renderContext({ _id: 'real-id', attributes }, 'j');
    expect(attributes).toEqual({ id: 'attr-id', plan: 'free' });
  });
});

describe('renderContent', () => {
  const context = renderContext(customer, 'welcome');

  it('when customer data holds markup, then the html field escapes it', () => {
    const out = renderContent<EmailContent>({ subject: 'Hi', html: '<p>Hello {{customer.firstName}}</p>' }, context);
    expect(out.html).toBe('<p>Hello &lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(out.html).not.toContain('<script>');
  });

  it('when customer data holds markup, then the subject and text fields keep it as written', () => {
    const out = renderContent<EmailContent>(
      { subject: 'Hi {{customer.firstName}}', text: 'Hello {{customer.firstName}} & co' },
      context,
    );
    expect(out.subject).toBe('Hi <script>alert(1)</script>');
    expect(out.text).toBe('Hello <script>alert(1)</script> & co');
  });

  it('when a variable is missing, then it renders as empty text', () => {
    const out = renderContent<WebContent>(
      { title: 'Hi {{customer.nickname}}!', body: '[{{customer.address.city}}]' },
      context,
    );
    expect(out).toEqual({ title: 'Hi !', body: '[]' });
  });

  it('when the template uses customer and journey fields, then they are filled in', () => {
    const out = renderContent<WebContent>(
      { title: '{{customer.id}} / {{customer.email}}', body: 'journey {{journey.id}}, plan {{customer.plan}}', link: 'https://x.test/{{customer.timeZone}}' },
      context,
    );
    expect(out).toEqual({
      title: 'cust-1 / ada@example.com',
      body: 'journey welcome, plan pro',
      link: 'https://x.test/Europe/London',
    });
  });

  it('when the same source is rendered as html and as text, then each field keeps its own escaping', () => {
    const source = '{{customer.firstName}}';
    const out = renderContent<EmailContent>({ subject: source, html: source, text: source }, context);
    expect(out.subject).toBe('<script>alert(1)</script>');
    expect(out.html).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out.text).toBe('<script>alert(1)</script>');
  });

  it('when a field does not compile, then it throws a TemplateSyntaxError naming that field', () => {
    const content: EmailContent = { subject: 'Fine', html: '{{#if customer.plan}}pro' };
    let caught: unknown;
    try {
      renderContent(content, context);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemplateSyntaxError);
    expect((caught as TemplateSyntaxError).field).toBe('html');
    expect((caught as TemplateSyntaxError).name).toBe('TemplateSyntaxError');
    expect((caught as TemplateSyntaxError).message).toMatch(/^template field "html" does not render: /);
    expect((caught as TemplateSyntaxError).message).not.toContain('\n');
  });
});

describe('checkTemplate', () => {
  const errors = (content: Record<string, unknown>, channel: 'email' | 'sms' | 'push' | 'web' = 'email') => checkTemplate(channel, content).errors;
  const warnings = (content: Record<string, unknown>, channel: 'email' | 'sms' | 'push' | 'web' = 'email') => checkTemplate(channel, content).warnings;

  it('when every field compiles and reads the context, then there are no errors and no warnings', () => {
    expect(checkTemplate('email', { subject: 'Hi {{customer.firstName}}', text: '{{#if customer.plan}}y{{/if}} {{unsubscribeUrl}} {{journey.id}}' })).toEqual({ errors: [], warnings: [] });
  });

  it('when an {{#if}} block is not closed, then the broken field is named with a one-line message', () => {
    const found = errors({ subject: 'Fine', text: '{{#if}}' });
    expect(found).toHaveLength(1);
    expect(found[0].field).toBe('text');
    expect(found[0].message.length).toBeGreaterThan(0);
    expect(found[0].message).not.toContain('\n');
  });

  it('when an {{#if customer.plan}} block is left open in html, then html is the field named', () => {
    expect(errors({ subject: 'Fine', html: '<p>{{#if customer.plan}}pro</p>', text: 'Fine' }).map((e) => e.field)).toEqual(['html']);
  });

  it('when a field is not a string, then it is skipped', () => {
    expect(errors({ subject: 'ok', count: 3, nested: { html: '{{#if' } })).toEqual([]);
  });

  it.each([
    ["{{constructor.constructor 'x'}}", 'constructor.constructor'],
    ["{{formatDate customer.signedUpAt 'short'}}", 'formatDate'],
    ['{{#repeat 3}}x{{/repeat}}', 'repeat'],
    ['{{upper (lower customer.firstName)}}', 'upper'],
    ["{{log 'x'}}", 'log'],
    ["{{helperMissing 'x'}}", 'helperMissing'],
  ])('when %s calls a helper the renderer does not have, then the error names the field and the helper', (source, helper) => {
    const found = errors({ subject: 'Fine', text: source });
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((e) => e.field === 'text')).toBe(true);
    expect(found[0].message).toBe(`unknown helper "${helper}" (templates may use if, unless, each, with, lookup)`);
  });

  it.each([
    ['{{#with __proto__}}x{{/with}}', '__proto__'],
    ['{{customer.constructor.name}}', 'constructor'],
    ['{{#each customer.__proto__}}x{{/each}}', '__proto__'],
    ["{{lookup customer '__proto__'}}", '__proto__'],
    ['{{@root.journey.__proto__}}', '__proto__'],
  ])('when %s reads a prototype name, then it is refused naming the name', (source, name) => {
    const found = errors({ subject: source, text: 'Fine' });
    expect(found.map((e) => e.field)).toEqual(['subject']);
    expect(found[0].message).toContain(`"${name}" is a prototype name, which templates may not read`);
  });

  it.each([
    ['{{> footer}}', 'partials are not supported ("footer")'],
    ['{{#> layout}}x{{/layout}}', 'partials are not supported ("layout")'],
    ["{{#* inline 'footer'}}x{{/inline}}", 'decorators are not supported ("inline")'],
    ['{{#if}}x{{/if}}', 'helper "if" takes 1 argument'],
    ['{{#each customer.a customer.b}}x{{/each}}', 'helper "each" takes 1 argument'],
    ["{{lookup customer}}", 'helper "lookup" takes 2 arguments'],
  ])('when %s would fail at render time, then it is refused', (source, message) => {
    expect(errors({ subject: 'Fine', text: source })).toEqual([{ field: 'text', message }]);
  });

  it.each([
    ['{{#if customer.vip}}VIP{{else}}{{customer.firstName}}{{/if}}'],
    ['{{#each customer.tags}}{{@index}}: {{this}} {{name}}{{/each}}'],
    ['{{#each customer.orders as |order i|}}{{i}}. {{order.total}}{{else}}none{{/each}}'],
    ['{{#if customer.vip}}VIP{{else if customer.plan}}{{customer.plan}}{{else}}{{journey.id}}{{/if}}'],
    ['{{#unless customer.vip}}{{lookup customer.prices customer.plan}}{{/unless}}'],
    ['{{#with customer as |c|}}{{c.firstName}} {{firstName}} {{../journey.id}}{{/with}}'],
    ['{{#with journey}}{{id}}{{/with}}'],
    ["{{lookup customer 'first name'}} {{customer.[first name]}} {{@root.customer.plan}} {{this.journey.id}}"],
    ['{{#customer.vip}}VIP {{customer.plan}}{{/customer.vip}}{{^customer.vip}}basic{{/customer.vip}}'],
    ['{{!-- a note --}}{{{customer.bio}}} \\{{literal}}'],
    ['{{event.name}} {{event.timestamp}} {{event.properties.cartTotal}} {{#each event.properties.items}}{{name}}{{/each}}'],
    ['{{events.wait-pay.name}} {{events.[wait-pay].properties.method}} {{#with events.paid}}{{timestamp}}{{/with}}'],
  ])('when %s reads the render context, then it is accepted without warnings', (source) => {
    expect(checkTemplate('email', { subject: 'Fine', text: source })).toEqual({ errors: [], warnings: [] });
  });

  it.each([
    ['{{custmer.name}}', 'email', '"custmer.name" renders empty: the render context has no "custmer" (it has customer, journey, event, events, unsubscribeUrl)'],
    ['{{event.cartTotal}}', 'sms', '"event.cartTotal" renders empty: "event" has no "cartTotal" (it has name, timestamp, properties)'],
    ['{{events.wait-pay.total}}', 'web', '"events.wait-pay.total" renders empty: "events.wait-pay" has no "total" (it has name, timestamp, properties)'],
    ['{{journey.name}}', 'email', '"journey.name" renders empty: "journey" has no "name" (it has id)'],
    ['{{journey.id.value}}', 'email', '"journey.id.value" renders empty: "journey.id" is a value, with no fields'],
    ['{{#with journey}}{{name}}{{/with}}', 'email', '"name" renders empty: this block has no "name" (it has id)'],
    ['{{unsubscribeUrl}}', 'sms', '"unsubscribeUrl" renders empty: the render context has no "unsubscribeUrl" (it has customer, journey, event, events)'],
    ['{{#if firstName}}x{{/if}}', 'email', '"firstName" renders empty: the render context has no "firstName" (it has customer, journey, event, events, unsubscribeUrl)'],
  ] as const)('when %s on %s reads outside the render context, then it is saved with a warning naming the variable', (source, channel, message) => {
    const field = channel === 'email' ? 'subject' : 'body';
    expect(checkTemplate(channel, { [field]: source })).toEqual({ errors: [], warnings: [{ field, message }] });
  });

  it('when a variable outside the context is used twice in a field, then it is warned of once', () => {
    expect(warnings({ subject: '{{custmer.name}} {{custmer.name}}' })).toHaveLength(1);
  });

  it.each([
    ['javascript:alert(1)', 'javascript: links are not allowed: use https:'],
    [' JavaScript:alert(document.cookie)', 'javascript: links are not allowed: use https:'],
    ['data:text/html,<script>alert(1)</script>', 'data: links are not allowed: use https:'],
    ['http://shop.example/orders', 'http: is allowed for localhost and 127.0.0.1 only: use https:'],
    ['javascript:{{customer.code}}', 'javascript: links are not allowed: use https:'],
    ['http://{{customer.host}}/orders', 'http: is allowed for localhost and 127.0.0.1 only: use https:'],
  ])('when a link is %s, then it is refused naming the field', (link, message) => {
    expect(errors({ title: 'Hi', body: 'Hello', link }, 'web')).toEqual([{ field: 'link', message }]);
    expect(errors({ title: 'Hi', body: 'Hello', imageUrl: link }, 'push')).toEqual([{ field: 'imageUrl', message }]);
  });

  it('when a link is a path, then a web inbox message takes it (the inbox resolves it on its page) and a push does not', () => {
    expect(errors({ title: 'Hi', body: 'Hello', link: '/orders/{{customer.orderId}}' }, 'web')).toEqual([]);
    expect(errors({ title: 'Hi', body: 'Hello', link: '/orders' }, 'push')).toEqual([{ field: 'link', message: 'must be an absolute https: URL' }]);
  });

  it.each([
    ['https://shop.example/orders/{{customer.orderId}}'],
    ['http://localhost:3000/orders'],
    ['http://127.0.0.1:{{customer.port}}/orders'],
    ['{{customer.orderUrl}}'],
  ])('when a link is %s, then it is accepted (a link that begins with a variable is checked once rendered)', (link) => {
    expect(errors({ title: 'Hi', body: 'Hello', link }, 'web')).toEqual([]);
  });
});

describe('renderedProblem', () => {
  it('when every text field has text and links are https:, then there is none', () => {
    expect(renderedProblem('push', { title: 'Hi', body: 'Hello', link: 'https://shop.example', imageUrl: '' })).toBeUndefined();
    expect(renderedProblem('web', { title: 'Hi', body: 'Hello', link: '/tips' })).toBeUndefined();
    expect(renderedProblem('email', { subject: 'Hi', html: '<p>Hello</p>', text: undefined })).toBeUndefined();
  });

  it.each([
    ['email', { subject: 'Hi', html: ' \n\t ' }, 'rendered-empty:html'],
    ['email', { subject: '', text: 'Hello' }, 'rendered-empty:subject'],
    ['sms', { body: '   ' }, 'rendered-empty:body'],
    ['web', { title: 'Hi', body: 'Hello', link: 'javascript:alert(1)' }, 'rendered-bad-link:link'],
    ['push', { title: 'Hi', body: 'Hello', link: '/orders' }, 'rendered-bad-link:link'],
    ['push', { title: 'Hi', body: 'Hello', imageUrl: 'http://tracker.example/pixel.png' }, 'rendered-bad-link:imageUrl'],
  ] as const)('when rendered %s content is %j, then the problem names the field', (channel, content, problem) => {
    expect(renderedProblem(channel, content)).toBe(problem);
  });

  it('when a template reads a prototype name, then it renders blank and is not fit to send', () => {
    const rendered = renderContent<WebContent>({ title: '{{#with __proto__}}x{{/with}}', body: 'Hello' }, renderContext(customer, 'j'));
    expect(renderedProblem('web', rendered)).toBe('rendered-empty:title');
  });
});
