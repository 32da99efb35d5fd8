// Provider status reports per send (see DeliveryReportDoc): written once per status, read by
// exact `_id`.
import type { Model } from 'mongoose';
import type { Channel } from '../core/channels';
import { currentStatus, STATUS_RANK } from '../core/delivery-status';
import { sendKeyCustomer } from '../core/ids';
import { isDuplicateKey } from './duplicate-key';
import type { DeliveryReportDoc } from './models';

const reportId = (key: string, status: string) => `${key}|${status}`;

/** Records that the provider reported `status` for the send; a repeated report changes nothing. */
export async function recordDeliveryStatus(
  reports: Model<DeliveryReportDoc>,
  report: { key: string; status: string; channel: Channel; journeyId: string; stepId: string; providerMessageId?: string; errorCode?: string },
): Promise<void> {
  const { key, status, ...rest } = report;
  try {
    await reports.updateOne(
      { _id: reportId(key, status) },
      { $setOnInsert: { key, status, at: new Date(), ...rest } },
      { upsert: true },
    );
  } catch (err) {
    // Two deliveries of the same callback raced to insert it: the first one stands.
    if (!isDuplicateKey(err)) throw err;
  }
}

export interface DeliveryReport {
  /** The status the message is at (core/delivery-status.ts), or undefined when none was reported. */
  status?: string;
  /** When each reported status was first reported. */
  statuses: Record<string, Date>;
  errorCode?: string;
  providerMessageId?: string;
}

export async function readDeliveryReport(reports: Model<DeliveryReportDoc>, key: string): Promise<DeliveryReport> {
  const docs = await Promise.all(Object.keys(STATUS_RANK).map((status) => reports.findById(reportId(key, status)).lean()));
  return reportOf(docs.filter((d) => d !== null));
}

/** The reports of many sends at once (a page of them), by exact `_id`; sends with none are absent. */
export async function readDeliveryReports(reports: Model<DeliveryReportDoc>, keys: string[]): Promise<Map<string, DeliveryReport>> {
  if (keys.length === 0) return new Map();
  const ids = keys.flatMap((key) => Object.keys(STATUS_RANK).map((status) => reportId(key, status)));
  const bySend = new Map<string, DeliveryReportDoc[]>();
  for (const doc of await reports.find({ _id: { $in: ids } }).lean()) bySend.set(doc.key, [...(bySend.get(doc.key) ?? []), doc]);
  return new Map([...bySend].map(([key, docs]) => [key, reportOf(docs)]));
}

function reportOf(found: DeliveryReportDoc[]): DeliveryReport {
  const statuses = Object.fromEntries(found.map((d) => [d.status, d.at]));
  const errorCode = found.find((d) => d.errorCode)?.errorCode;
  const providerMessageId = found.find((d) => d.providerMessageId)?.providerMessageId;
  return { status: currentStatus(statuses), statuses, ...(errorCode ? { errorCode } : {}), ...(providerMessageId ? { providerMessageId } : {}) };
}

/**
 * Per step of a journey, how many sends the provider last reported at each status:
 * { stepId: { delivered: n, undelivered: n, ... } }; with `customers`, only their sends.
 */
export async function providerStatusCounts(
  reports: Model<DeliveryReportDoc>,
  journeyId: string,
  customers?: ReadonlySet<string>,
): Promise<Record<string, Record<string, number>>> {
  const docs = await reports.find({ journeyId }, { key: 1, stepId: 1, status: 1, at: 1 }).lean();
  const bySend = new Map<string, { stepId: string; statuses: Record<string, Date> }>();
  for (const d of docs) {
    // Reports carry no customer ID; the send key names the run's customer.
    if (customers && !customers.has(sendKeyCustomer(d.key) ?? '')) continue;
    const send = bySend.get(d.key) ?? { stepId: d.stepId, statuses: {} };
    send.statuses[d.status] = d.at;
    bySend.set(d.key, send);
  }
  const out: Record<string, Record<string, number>> = {};
  for (const { stepId, statuses } of bySend.values()) {
    const status = currentStatus(statuses);
    if (!status) continue;
    const step = (out[stepId] ??= {});
    step[status] = (step[status] ?? 0) + 1;
  }
  return out;
}
