// The delivery ledger read back per send, with each outcome explained in words
// (core/send-explanation.ts): a customer's messages across journeys, and a journey's sends
// filtered by outcome, reason and step.
import { Router } from 'express';
import { z } from 'zod';
import { CHOICE_REASONS } from '../../core/best-channel';
import { CHANNELS } from '../../core/channels';
import { capRulesSchema } from '../../core/frequency-caps';
import { explainSend, SEND_OUTCOMES, type SendOutcome } from '../../core/send-explanation';
import { readDeliveryReports } from '../../db/delivery-reports';
import type { DeliveryDoc, Models } from '../../db/models';
import { CAPS_SETTING } from '../../db/settings';
import { notFound } from '../errors';
import { DEFAULT_PAGE_SIZE, listNewestFirst, newestPageQuerySchema, pageSchema } from '../list-page';
import { idParam, json, named, type Operation } from '../openapi-spec';
import { parse, pathId } from '../validate';

/** A best-channel send's choice as the ledger keeps it (core/best-channel.ts). */
export const channelChoiceSchema = named(
  'ChannelChoice',
  z
    .object({
      channel: z.enum(CHANNELS),
      reason: z.enum(CHOICE_REASONS).meta({ description: '`most-engaged`; `tied` (the first listed of those tied); `no-history` (the first listed the customer can be reached on)' }),
      scores: z.partialRecord(z.enum(CHANNELS), z.number().int()).meta({ description: 'Opens plus clicks on each listed channel' }),
      passedOver: z.partialRecord(z.enum(CHANNELS), z.string()).optional().meta({ description: 'Listed channels the customer cannot be reached on, and why (unsubscribed, unreachable...)' }),
    })
    .meta({ description: 'Why a best-channel send (`"channel": "best"`) went out on its channel' }),
);

export const sendViewSchema = named(
  'SendExplained',
  z.object({
    key: z.string().meta({ description: "The send's idempotency key" }),
    journeyId: z.string(),
    stepId: z.string(),
    customerId: z.string(),
    channelPlanned: z.enum(CHANNELS).meta({ description: "The step's channel; a best-channel send's: the one chosen" }),
    channelChoice: channelChoiceSchema.optional(),
    channelUsed: z.enum(CHANNELS).optional().meta({ description: 'The channel the message went out on (or is being handed to): the fallback when it differs' }),
    outcome: z.enum(SEND_OUTCOMES).meta({ description: '`pending`: claimed, no outcome yet (deferrals are not recorded)' }),
    reason: z.string().optional().meta({ description: 'The skip reason, a failure\'s `rendered-*:<field>`, or its failure type (see README, "Why a send was skipped or failed")' }),
    explanation: z.string().meta({ description: 'The outcome and its reason, in words' }),
    messageId: z.string().optional(),
    providerStatus: z.string().optional().meta({ description: 'What the provider last reported (SMS: delivered, undelivered...)' }),
    providerErrorCode: z.string().optional(),
    openedAt: z.date().optional().meta({ description: 'When the message was first opened (README, "Engagement tracking")' }),
    clickedAt: z.date().optional().meta({ description: 'When a link of the message was first clicked' }),
    createdAt: z.date(),
    updatedAt: z.date(),
  }),
);
const sendPageSchema = named('SendExplainedPage', pageSchema(sendViewSchema));
type SendView = z.infer<typeof sendViewSchema>;

/** A reason as the ledger writes it: `unsubscribed`, `capped:<rule>`, `rendered-empty:<field>`, a failure type. */
const reasonFilter = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be a reason such as unsubscribed, capped or capped:<rule>')
  .meta({ description: 'Exactly, or by its part before `:` (`capped` matches every `capped:<rule>`)' });

const deliveriesQuerySchema = newestPageQuerySchema.extend({
  outcome: z.enum(SEND_OUTCOMES).optional(),
  reason: reasonFilter.optional(),
  stepId: idParam('Only this step’s sends').optional(),
});

const STATE_OF: Record<SendOutcome, DeliveryDoc['state']> = { sent: 'sent', skipped: 'skipped', failed: 'failed', pending: 'claimed' };
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The ledger filter for a journey's sends; a failure's reason is its `rendered-*` code or its type. */
function journeyFilter(journeyId: string, query: z.infer<typeof deliveriesQuerySchema>): Record<string, unknown> {
  const filter: Record<string, unknown>[] = [{ journeyId }];
  if (query.outcome) filter.push({ state: STATE_OF[query.outcome] });
  if (query.stepId) filter.push({ stepId: query.stepId });
  if (query.reason) {
    const r = query.reason;
    filter.push({ $or: [{ reason: r }, { reason: { $regex: `^${escapeRegExp(r)}:` } }, { state: 'failed', failureType: r }] });
  }
  return filter.length === 1 ? filter[0] : { $and: filter };
}

/** The sends of a page, explained: provider reports and cap windows are read once per page. */
export async function sendViews(models: Pick<Models, 'deliveryReports' | 'settings'>, docs: DeliveryDoc[]): Promise<SendView[]> {
  const [reports, caps] = await Promise.all([
    readDeliveryReports(models.deliveryReports, docs.filter((d) => d.state === 'sent').map((d) => d._id)),
    docs.some((d) => d.reason?.startsWith('capped:')) ? models.settings.findById(CAPS_SETTING).lean() : null,
  ]);
  const rules = capRulesSchema.safeParse(caps?.value).data?.rules ?? [];
  return docs.map((d) => {
    const report = reports.get(d._id);
    const planned = d.plannedChannel ?? d.channel;
    const used = d.state === 'sent' ? d.channel : d.state === 'claimed' ? d.handOff?.channel : undefined;
    const capWindow = rules.find((rule) => d.reason === `capped:${rule.id}`)?.window;
    const explained = explainSend({
      state: d.state,
      plannedChannel: planned,
      ...(d.choice ? { choice: d.choice } : {}),
      ...(used ? { usedChannel: used } : {}),
      ...(d.reason ? { reason: d.reason } : {}),
      ...(d.failureType ? { failureType: d.failureType } : {}),
      ...(report?.status ? { providerStatus: report.status } : {}),
      ...(report?.errorCode ? { providerErrorCode: report.errorCode } : {}),
      ...(capWindow ? { capWindow } : {}),
    });
    return {
      key: d._id,
      journeyId: d.journeyId,
      stepId: d.stepId,
      customerId: d.customerId,
      channelPlanned: planned,
      ...(d.choice ? { channelChoice: d.choice } : {}),
      ...(used ? { channelUsed: used } : {}),
      ...explained,
      ...(d.messageId ? { messageId: d.messageId } : {}),
      ...(report?.status ? { providerStatus: report.status } : {}),
      ...(report?.errorCode ? { providerErrorCode: report.errorCode } : {}),
      ...(d.openedAt ? { openedAt: d.openedAt } : {}),
      ...(d.clickedAt ? { clickedAt: d.clickedAt } : {}),
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
    };
  });
}

export function deliveriesRouter(models: Models): Router {
  const router = Router();

  router.get('/customers/:id/messages', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const query = parse(newestPageQuerySchema, req.query);
    if (!(await models.customers.exists({ _id: id }))) throw notFound(`customer "${id}"`);
    const { docs, next } = await listNewestFirst(models.deliveries, { customerId: id }, query);
    res.json({ items: await sendViews(models, docs), next } satisfies z.infer<typeof sendPageSchema>);
  });

  router.get('/journeys/:id/deliveries', async (req, res) => {
    const id = pathId(req.params.id, 'id');
    const query = parse(deliveriesQuerySchema, req.query);
    if (!(await models.journeys.exists({ _id: id }))) throw notFound(`journey "${id}"`);
    const { docs, next } = await listNewestFirst(models.deliveries, journeyFilter(id, query), query);
    res.json({ items: await sendViews(models, docs), next } satisfies z.infer<typeof sendPageSchema>);
  });

  return router;
}

const paging = `newest first, a page at a time (${DEFAULT_PAGE_SIZE} unless \`limit\` says otherwise)`;

export const deliveryOperations: Operation[] = [
  {
    method: 'get',
    path: '/v1/customers/{id}/messages',
    summary: `Every send to the customer across journeys, ${paging}, each with its outcome explained`,
    description:
      'Channel planned and used (a fallback shows as a different `channelUsed`), outcome, reason and its words, and what the provider reported. A deferred send (quiet hours, a pause, a cap that defers) records no outcome: it shows as `pending` while its row exists.',
    auth: 'apiKey',
    params: z.object({ id: idParam('Customer ID') }),
    query: newestPageQuerySchema,
    ok: { 200: json('A page of sends', sendPageSchema) },
    errors: { 404: 'No such customer' },
  },
  {
    method: 'get',
    path: '/v1/journeys/{id}/deliveries',
    summary: `The journey's sends, ${paging}, filtered by outcome, reason and step`,
    auth: 'apiKey',
    params: z.object({ id: idParam('Journey ID') }),
    query: deliveriesQuerySchema,
    ok: { 200: json('A page of sends', sendPageSchema) },
    errors: { 404: 'No such journey' },
  },
];
