import { renderContent, renderContext, TemplateSyntaxError, templateSyntaxErrors } from '../../core/render';
import type { EmailContent, WebContent } from '../../core/template-content';

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
    });
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

describe('templateSyntaxErrors', () => {
  it('when every field compiles, then there are no errors', () => {
    expect(templateSyntaxErrors({ subject: 'Hi {{customer.firstName}}', text: '{{#if x}}y{{/if}}' })).toEqual([]);
  });

  it('when an {{#if}} block is not closed, then the broken field is named with a one-line message', () => {
    const errors = templateSyntaxErrors({ subject: 'Fine', text: '{{#if}}' });
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('text');
    expect(errors[0].message.length).toBeGreaterThan(0);
    expect(errors[0].message).not.toContain('\n');
  });

  it('when an {{#if customer.plan}} block is left open in html, then html is the field named', () => {
    const errors = templateSyntaxErrors({ subject: 'Fine', html: '<p>{{#if customer.plan}}pro</p>', text: 'Fine' });
    expect(errors.map((e) => e.field)).toEqual(['html']);
  });

  it('when a field is not a string, then it is skipped', () => {
    expect(templateSyntaxErrors({ subject: 'ok', count: 3, nested: { html: '{{#if' } })).toEqual([]);
  });
});
