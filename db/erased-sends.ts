// An erased customer's sends, kept for the numbers and nothing else. Journey stats and the
// deliveries lists count ledger rows and provider reports by journey, step, state, channel and
// skip reason, so erasure keeps exactly those and drops the rest: the customer ID, the send key
// (it names the customer: journey:<journey>:<customer>:<entry>:<step>:<visit>), provider
// message IDs, what was handed over, failure messages (a provider's may quote the address).
// Each row and report moves to a key derived from the old one by a hash: an erasure run again
// after a crash moves what is left to the same keys, so nothing is counted twice.
import { createHash } from 'node:crypto';
import type { Model } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';
import type { DeliveryDoc, DeliveryReportDoc } from './models';

/** The customer ID an erased send shows: outside ID_PATTERN, so no customer's own sends list it. */
export const ERASED_CUSTOMER = '~erased';

const PAGE = 500;

export const erasedKey = (key: string) => `erased:${createHash('sha256').update(key).digest('hex')}`;

/** A failure's reason kept: the template's `rendered-*:<field>` code, never a message. */
const KEPT_FAILURE_REASON = /^rendered-(empty|bad-link):[A-Za-z0-9_.[\]-]{1,200}$/;

function erasedRow(row: DeliveryDoc): DeliveryDoc {
  const keepReason = row.state === 'skipped' || (row.reason !== undefined && KEPT_FAILURE_REASON.test(row.reason));
  return {
    _id: erasedKey(row._id),
    state: row.state,
    channel: row.channel,
    ...(row.plannedChannel ? { plannedChannel: row.plannedChannel } : {}),
    customerId: ERASED_CUSTOMER,
    journeyId: row.journeyId,
    stepId: row.stepId,
    attempts: row.attempts,
    ...(keepReason && row.reason !== undefined ? { reason: row.reason } : {}),
    ...(row.failureType ? { failureType: row.failureType } : {}),
    // Stats count opens and clicks per step; when is no personal datum without the customer.
    ...(row.openedAt ? { openedAt: row.openedAt } : {}),
    ...(row.clickedAt ? { clickedAt: row.clickedAt } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function erasedReport(report: DeliveryReportDoc): DeliveryReportDoc {
  const key = erasedKey(report.key);
  return {
    _id: `${key}|${report.status}`,
    key,
    status: report.status,
    at: report.at,
    channel: report.channel,
    journeyId: report.journeyId,
    stepId: report.stepId,
    ...(report.errorCode ? { errorCode: report.errorCode } : {}),
  };
}

/** Inserts the documents, leaving those already there (an earlier, interrupted erasure moved them). */
async function insertOnce<T extends { _id: string }>(model: Model<T>, docs: T[]): Promise<void> {
  if (docs.length === 0) return;
  await model.collection.insertMany(docs as never[], { ordered: false }).catch((err) => {
    if (!isDuplicateKey(err)) throw err;
  });
}

/**
 * Moves the sends matching `filter` (a customer's, or one send) to their erased form, with
 * their provider reports: reports first, then rows, so a crash in between leaves the rows to
 * find the reports by. Returns how many sends it moved.
 */
export async function eraseSends(
  models: { deliveries: Model<DeliveryDoc>; deliveryReports: Model<DeliveryReportDoc> },
  filter: { customerId: string } | { _id: string },
): Promise<number> {
  let moved = 0;
  for (;;) {
    const rows = await models.deliveries.find(filter).limit(PAGE).lean<DeliveryDoc[]>();
    if (rows.length === 0) return moved;
    const keys = rows.map((r) => r._id);
    const reports = await models.deliveryReports.find({ key: { $in: keys } }).lean<DeliveryReportDoc[]>();
    await insertOnce(models.deliveryReports, reports.map(erasedReport));
    if (reports.length > 0) await models.deliveryReports.deleteMany({ _id: { $in: reports.map((r) => r._id) } });
    await insertOnce(models.deliveries, rows.map(erasedRow));
    await models.deliveries.deleteMany({ _id: { $in: keys } });
    moved += rows.length;
  }
}
