// GET /v1/customers/{id}/export: everything Cairn holds about one customer (GDPR's right of
// access), as one JSON document. Streamed: events and sends can be many, so they are read a
// page at a time and written as they come, never cut short. The document ends with `counts`;
// a failure part-way breaks the connection instead, so no client takes a partial document for
// a whole one.
import { once } from 'node:events';
import type { Response } from 'express';
import { z } from 'zod';
import { CHANNELS } from '../core/channels';
import type { CustomerDoc, DeliveryDoc, DeliveryReportDoc, EventDoc, InboxMessageDoc, Models } from '../db/models';
import { readSuppression } from '../db/suppressions';
import type { CustomerRun, CustomerRuns } from '../lib/customer-runs';
import { inboxMessageSchema, inboxMessageView } from './inbox-schemas';
import { named } from './openapi-spec';
import { sendViews, sendViewSchema } from './routes/deliveries';

const PAGE = 500;

const runSchema = z.object({
  workflowId: z.string(),
  runId: z.string(),
  journeyId: z.string().optional(),
  workflowType: z.string(),
  status: z.string().meta({ description: "Temporal's execution status: RUNNING, COMPLETED, TERMINATED..." }),
  journeyStatus: z.string().optional().meta({ description: "The run's own status: running, waiting, completed, exited, stopped" }),
  startedAt: z.date(),
  closedAt: z.date().optional(),
});

const reportSchema = z.object({
  status: z.string(),
  at: z.date(),
  channel: z.enum(CHANNELS),
  providerMessageId: z.string().optional(),
  errorCode: z.string().optional(),
});

const eventSchema = z.object({
  id: z.string(),
  name: z.string(),
  timestamp: z.date(),
  properties: z.record(z.string(), z.unknown()).optional(),
  receivedAt: z.date(),
});

/** The document's shape, for the OpenAPI document; the parts below are typed by it. */
export function customerExportSchema(customerSchema: z.ZodType) {
  return named(
    'CustomerExport',
    z.object({
      customerId: z.string(),
      exportedAt: z.date(),
      suppression: z.object({ suppressed: z.boolean(), suppressedAt: z.date().optional() }),
      profile: customerSchema.nullable().meta({ description: 'The profile, with its consent and event roll-ups; null when there is none' }),
      journeyRuns: z.array(runSchema),
      inboxMessages: z.array(inboxMessageSchema.extend({ journeyId: z.string() })),
      sends: z.array(sendViewSchema.extend({ reports: z.array(reportSchema).meta({ description: 'Every status the provider reported' }) })),
      events: z.array(eventSchema).meta({ description: 'Every event tracked, oldest first' }),
      counts: z.object({ journeyRuns: z.number().int(), inboxMessages: z.number().int(), sends: z.number().int(), events: z.number().int() }),
    }),
  );
}

type Run = z.infer<typeof runSchema>;
type Report = z.infer<typeof reportSchema>;
type ExportedEvent = z.infer<typeof eventSchema>;

export interface ExportDeps {
  models: Models;
  runs: Pick<CustomerRuns, 'list'>;
  customerView: (doc: CustomerDoc) => unknown;
}

/** Writes the customer's export to the response, honouring its back-pressure. */
export async function writeCustomerExport(deps: ExportDeps, customerId: string, res: Response): Promise<void> {
  const { models } = deps;
  // Read before the first byte, so a failure here is still an error answer.
  const [suppression, profile, runs] = await Promise.all([
    readSuppression(models.suppressions, customerId),
    models.customers.findById(customerId).lean<CustomerDoc>(),
    deps.runs.list(customerId),
  ]);
  res.status(200).type('application/json').attachment(`customer-${customerId}-export.json`);
  // A client that goes away mid-download never drains: stop there (the cursors close as their loops end).
  const write = async (text: string) => {
    if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    if (res.destroyed) throw new Error('the client closed the export before its end');
  };
  try {
    const head = {
      customerId,
      exportedAt: new Date(),
      suppression: suppression ? { suppressed: true, suppressedAt: suppression.suppressedAt } : { suppressed: false },
      profile: profile ? deps.customerView(profile) : null,
      journeyRuns: runs.map((r: CustomerRun) => r satisfies Run),
    };
    await write(JSON.stringify(head).slice(0, -1));
    const counts = { journeyRuns: runs.length, inboxMessages: 0, sends: 0, events: 0 };
    counts.inboxMessages = await writeArray(write, 'inboxMessages', models.inbox.find({ customerId }).sort({ createdAt: 1 }).lean(), async (page: InboxMessageDoc[]) =>
      page.map((m) => ({ ...inboxMessageView(m), journeyId: m.journeyId })),
    );
    counts.sends = await writeArray(write, 'sends', models.deliveries.find({ customerId }).sort({ createdAt: 1 }).lean(), async (page: DeliveryDoc[]) => {
      const [views, reports] = await Promise.all([sendViews(models, page), models.deliveryReports.find({ key: { $in: page.map((d) => d._id) } }).lean<DeliveryReportDoc[]>()]);
      return views.map((v) => ({ ...v, reports: reports.filter((r) => r.key === v.key).map(reportView) }));
    });
    counts.events = await writeArray(write, 'events', models.events.find({ customerId }).sort({ timestamp: 1 }).lean(), async (page: EventDoc[]) => page.map(eventView));
    await write(`,"counts":${JSON.stringify(counts)}}`);
    res.end();
  } catch (err) {
    // The answer has begun: break it rather than end a document that looks whole.
    res.destroy(err as Error);
  }
}

/** Writes `,"name":[...]` from the query's cursor, a page at a time; returns how many items. */
async function writeArray<T>(
  write: (text: string) => Promise<void>,
  name: string,
  query: { cursor(options: { batchSize: number }): AsyncIterable<unknown> },
  view: (page: T[]) => Promise<unknown[]>,
): Promise<number> {
  await write(`,${JSON.stringify(name)}:[`);
  let count = 0;
  let page: T[] = [];
  const flush = async () => {
    for (const item of await view(page)) await write((count++ === 0 ? '' : ',') + JSON.stringify(item));
    page = [];
  };
  for await (const doc of query.cursor({ batchSize: PAGE })) {
    page.push(doc as T);
    if (page.length === PAGE) await flush();
  }
  await flush();
  await write(']');
  return count;
}

const reportView = (r: DeliveryReportDoc): Report => ({
  status: r.status,
  at: r.at,
  channel: r.channel,
  ...(r.providerMessageId ? { providerMessageId: r.providerMessageId } : {}),
  ...(r.errorCode ? { errorCode: r.errorCode } : {}),
});

const eventView = (e: EventDoc): ExportedEvent => ({
  id: e._id,
  name: e.name,
  timestamp: e.timestamp,
  ...(e.properties ? { properties: e.properties } : {}),
  receivedAt: e.receivedAt,
});
