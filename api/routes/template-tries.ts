// Trying a template before a journey sends it: a preview renders it for a stored or an inline
// customer (and an event), and a test send delivers it through the channel's real adapter to
// one address, marked as a test, outside the ledger, the frequency caps and journey stats.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Router } from 'express';
import { z } from 'zod';
import { CHANNELS, type Channel } from '../../core/channels';
import { idSchema } from '../../core/journey-definition';
import { eventNameSchema } from '../../core/names';
import { TemplateSyntaxError } from '../../core/render';
import { markedAsTest, previewTemplate, TEST_JOURNEY_ID, TEST_PREFIX, type Preview } from '../../core/template-preview';
import type { TemplateContent } from '../../core/template-content';
import type { TemplateNote } from '../../core/template-check';
import type { CustomerDoc, Models, TemplateDoc } from '../../db/models';
import type { ChannelAdapters } from '../../lib/delivery-channels';
import { notConfiguredMessage } from '../../lib/config';
import { attributeValues, customerFieldsSchema, emailSchema, phoneSchema, pushTokenSchema } from '../customer-input';
import { AppError, conflict, invalid, notFound } from '../errors';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId, requestBody } from '../validate';

/** The customer input shape (PUT /v1/customers/{id}), with the ID the template reads as `customer.id`. */
const inlineCustomerSchema = named('PreviewCustomer', customerFieldsSchema.extend({ id: idSchema.default('preview').meta({ description: 'Read as `customer.id`; default "preview"' }) }));

const previewEventSchema = named(
  'PreviewEvent',
  z
    .object({
      name: eventNameSchema,
      timestamp: z.iso.datetime({ offset: true }).optional().meta({ description: 'ISO 8601 with an offset; default: now' }),
      properties: attributeValues(100).optional(),
    })
    .strict(),
);

/** Whose data the template renders with: a stored customer, or one given inline (exactly one). */
const dataFields = {
  customerId: idSchema.optional().meta({ description: 'A stored customer (not with `customer`)' }),
  customer: inlineCustomerSchema.optional().meta({ description: 'A customer given inline, not stored (not with `customerId`)' }),
  event: previewEventSchema.optional().meta({ description: 'Read as `{{event.*}}`, as an event-entry journey’s entry event' }),
};
const previewBodySchema = named('TemplatePreviewInput', z.object(dataFields).strict());
const testSendBodySchema = named(
  'TemplateTestSendInput',
  z
    .object({
      to: z.string().min(1).max(4096).meta({ description: 'An email address (email), an E.164 phone number (sms), a device token (push) or a customer ID (web)' }),
      ...dataFields,
    })
    .strict(),
);

const noteSchema = z.object({ field: z.string(), message: z.string() });
const previewSchema = named(
  'TemplatePreview',
  z.object({
    id: z.string(),
    channel: z.enum(CHANNELS),
    content: z.record(z.string(), z.string()).meta({ description: 'Each field rendered; an HTML-only email also shows the text part sent with it' }),
    warnings: z.array(noteSchema).meta({ description: 'Variables outside the render context, and fields that render empty or to a link that cannot go out' }),
  }),
);
const testSentSchema = named(
  'TemplateTestSent',
  previewSchema.extend({
    to: z.string(),
    messageId: z.string().meta({ description: "The provider's message ID (web: the inbox message ID)" }),
  }),
);

/** Where a test send goes on each channel, checked once the template's channel is known. */
const TO_SCHEMAS: Record<Channel, z.ZodType<string>> = { email: emailSchema, sms: phoneSchema, push: pushTokenSchema, web: idSchema };

export interface TemplateTriesDeps {
  models: Models;
  /** The channels with a provider configured. */
  channels: readonly Channel[];
  /** Their adapters; without them the API makes no test sends. */
  adapters?: ChannelAdapters;
  publicUrl: string;
}

export function templateTriesRouter(deps: TemplateTriesDeps): Router {
  const { models } = deps;
  const router = Router();

  async function templateOf(id: string): Promise<TemplateDoc> {
    const doc = await models.templates.findById(id).lean();
    if (!doc) throw notFound(`template "${id}"`);
    return doc;
  }

  async function storedCustomer(id: string, field: string): Promise<CustomerDoc> {
    const doc = await models.customers.findById(id).lean();
    if (!doc) throw new AppError(404, 'not_found', `${field}: customer "${id}" does not exist`);
    return doc;
  }

  /** The data's customer: stored, inline, or `fallback` when neither is given (test sends only). */
  async function dataCustomer(body: z.infer<typeof previewBodySchema>, fallback?: () => Promise<CustomerDoc>): Promise<CustomerDoc> {
    if (body.customerId !== undefined && body.customer !== undefined) throw invalid([{ field: 'customer', message: 'give customerId or customer, not both' }]);
    if (body.customerId !== undefined) return storedCustomer(body.customerId, 'customerId');
    if (body.customer !== undefined) return inlineCustomer(body.customer);
    if (fallback) return fallback();
    throw invalid([{ field: 'customerId', message: 'give customerId (a stored customer) or customer (one inline)' }]);
  }

  /** The preview, its notes named as the answer's fields are (`content.subject`), as saving names them. */
  function render(template: TemplateDoc, customer: CustomerDoc, event: z.infer<typeof previewEventSchema> | undefined): Preview {
    const templateEvent = event && { ...event, timestamp: event.timestamp ?? new Date().toISOString() };
    const inContent = (notes: TemplateNote[]) => notes.map((n) => ({ field: `content.${n.field}`, message: n.message }));
    try {
      const preview = previewTemplate(template.channel, template.content, customer, templateEvent, deps.publicUrl);
      return { ...preview, warnings: inContent(preview.warnings), undeliverable: inContent(preview.undeliverable) };
    } catch (err) {
      // Saved templates are checked; one that still fails is no fault of this request.
      if (err instanceof TemplateSyntaxError) throw conflict(`${err.message}: save the template again`);
      throw err;
    }
  }

  router.post('/:id/preview', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(previewBodySchema, requestBody(req));
    const template = await templateOf(id);
    const { content, warnings } = render(template, await dataCustomer(body), body.event);
    res.json({ id, channel: template.channel, content, warnings } satisfies z.infer<typeof previewSchema>);
  });

  router.post('/:id/test-send', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const body = parse(testSendBodySchema, requestBody(req));
    const template = await templateOf(id);
    const { channel } = template;
    const to = parse(TO_SCHEMAS[channel], body.to, 'to');
    const adapter = deps.adapters?.[channel];
    if (!deps.channels.includes(channel) || !adapter) throw conflict(notConfiguredMessage(channel));
    // On the web channel `to` is a customer: their inbox, and by default their data.
    const recipient = channel === 'web' ? await storedCustomer(to, 'to') : undefined;
    const customer = await dataCustomer(body, async () => recipient ?? inlineCustomer({ id: 'preview' }));
    const { content: rendered, warnings, undeliverable } = render(template, customer, body.event);
    const [problem] = undeliverable;
    if (problem) throw invalid([{ field: problem.field, message: `${problem.message} with this data: nothing was sent` }]);

    const key = `test:${randomUUID()}`;
    const content = markedAsTest(channel, contentToSend(channel, template.content, rendered));
    const delivered = await adapter
      .deliver({
        key,
        journeyId: TEST_JOURNEY_ID,
        // Push goes to the one device given, whatever devices the data's customer has.
        customer: channel === 'push' ? { ...customer, pushTokens: [{ token: to, platform: 'web' }] } : customer,
        address: to,
        content: content as unknown as TemplateContent,
        test: true,
        // No unsubscribe URL: a test mail offers no List-Unsubscribe (it unsubscribes no one).
        parts: { done: {}, record: async () => {} },
      })
      .catch((err: unknown) => {
        throw err instanceof ApplicationFailure && err.nonRetryable
          ? new AppError(422, 'delivery_refused', err.message)
          : new AppError(502, 'provider_unavailable', `the ${channel} provider failed: ${(err as Error).message}`);
      });
    res.json({ id, channel, content, warnings, to, messageId: delivered.messageId } satisfies z.infer<typeof testSentSchema>);
  });

  return router;
}

/** A customer given inline, as a stored one would read: null means absent. */
function inlineCustomer(input: Partial<z.infer<typeof inlineCustomerSchema>> & { id: string }): CustomerDoc {
  const attributes = Object.fromEntries(Object.entries(input.attributes ?? {}).filter(([, value]) => value !== null));
  const now = new Date();
  return {
    _id: input.id,
    ...(input.email ? { email: input.email } : {}),
    ...(input.phone ? { phone: input.phone } : {}),
    ...(input.timeZone ? { timeZone: input.timeZone } : {}),
    ...(input.locale ? { locale: input.locale } : {}),
    ...(input.pushTokens ? { pushTokens: input.pushTokens } : {}),
    attributes,
    createdAt: now,
    updatedAt: now,
  };
}

/** The fields the template has: the preview's made-up text part of an HTML-only email is the adapter's to make. */
function contentToSend(channel: Channel, source: Record<string, unknown>, rendered: Record<string, string>): Record<string, string> {
  return channel === 'email' && source.text === undefined ? Object.fromEntries(Object.entries(rendered).filter(([field]) => field !== 'text')) : rendered;
}

const templateId = z.object({ id: idParam('Template ID') });

export const templateTryOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/templates/{id}/preview',
    summary: 'Render a template for a stored customer (`customerId`) or one given inline (`customer`), with an optional event',
    description:
      'Renders every field as a send would. `{{unsubscribeUrl}}` renders as a placeholder page on this API (`/unsubscribe/preview-placeholder`), never a working link, and `journey.id` as `(test)`. `warnings` names the variables outside the render context (as saving does) and the fields that render empty or to a link that cannot go out: a send with this data would fail.',
    auth: 'apiKey',
    params: templateId,
    body: previewBodySchema,
    ok: { 200: json('The rendered template', previewSchema) },
    errors: {
      400: 'Invalid input, or both or neither of `customerId` and `customer`: `error.details` names the field',
      404: 'No such template, or no such customer (`customerId`)',
      409: 'The stored template no longer renders: save it again',
    },
  },
  {
    method: 'post',
    path: '/v1/templates/{id}/test-send',
    summary: 'Deliver a template once to `to`, through the channel’s provider, marked as a test',
    description: `Renders as the preview does (data from \`customerId\`, \`customer\`, or none; on web, by default the customer \`to\` names), then delivers through the channel's adapter. Marked as a test: the subject (email), body (SMS) or title (push, web) starts with "${TEST_PREFIX}"; email carries the header \`X-Cairn-Test: 1\` and no List-Unsubscribe; push carries \`cairnTest: "1"\` in its data; the inbox message is stored with \`test: true\`. Outside the ledger, the frequency caps and journey stats; consent is not asked.`,
    auth: 'apiKey',
    params: templateId,
    body: testSendBodySchema,
    ok: { 200: json('Delivered: what was sent', testSentSchema) },
    errors: {
      400: "Invalid input: `to` is not an address of the template's channel, both `customerId` and `customer` are given, or a field renders empty or to a bad link with this data",
      404: 'No such template, or no such customer (`customerId`, or `to` on web)',
      409: 'No provider is configured for the channel, or the stored template no longer renders',
      422: 'The provider refused the message for good (a bad number, an unregistered device...)',
      502: 'The provider failed or did not answer; nothing is retried',
    },
  },
];
