// A launch's audience, a page at a time: customers in `_id` order, read by `_id` alone and
// matched against the rule in memory (core/segment-match.ts), over one scan per launch that
// stays open between pages. The next page of the same launch continues where the last one
// stopped, so the collection is read once per launch (per worker process) and not once per
// page: the embedded store answers any query but an `_id` equality or `$in` by scanning and
// sorting the whole collection, and MongoDB walks its `_id` index either way.
import type { Model } from 'mongoose';
import type { CustomerDoc } from '../db/models';

/** Customers per batch the store sends while a page reads on. */
const BATCH_SIZE = 1_000;
/** A scan no page has continued for this long is closed (MongoDB's own idle limit is 10 minutes). */
const IDLE_MS = 60_000;

export interface AudiencePage {
  /** Members in `_id` order, at most the size asked for. */
  members: string[];
  /** The last customer read: every customer up to it is a member above or not a member. */
  lastId?: string;
  /** True when the collection ended: no customer after lastId. */
  exhausted: boolean;
}

export interface AudienceReader {
  /**
   * Up to `size` members after `afterId`. `launch` names the scan: a page asked for right
   * after the last one of the same launch continues its scan; any other position opens a new one.
   */
  page(launch: string, afterId: string | undefined, size: number, read: { fields: string[]; isMember: (customer: CustomerDoc) => boolean }): Promise<AudiencePage>;
}

/** A query cursor over customers in `_id` order. */
interface Scan {
  next(): Promise<CustomerDoc | null>;
  close(): Promise<void>;
}

interface OpenScan {
  scan: Scan;
  /** The last customer the scan has given; it gives the ones after it next. */
  position: string | undefined;
  idle: NodeJS.Timeout;
}

export function createAudienceReader(customers: Model<CustomerDoc>): AudienceReader {
  const open = new Map<string, OpenScan>();
  const dispose = (scan: Scan) => void scan.close().catch(() => {});

  /** Takes the launch's open scan off the shelf, wherever it stands. */
  const take = (launch: string): OpenScan | undefined => {
    const shelved = open.get(launch);
    if (shelved) {
      open.delete(launch);
      clearTimeout(shelved.idle);
    }
    return shelved;
  };

  const shelve = (launch: string, scan: Scan, position: string | undefined) => {
    const idle = setTimeout(() => {
      if (open.get(launch)?.scan === scan) open.delete(launch);
      dispose(scan);
    }, IDLE_MS);
    idle.unref();
    open.set(launch, { scan, position, idle });
  };

  return {
    async page(launch, afterId, size, read) {
      const shelved = take(launch);
      let scan: Scan;
      if (shelved && shelved.position === afterId) scan = shelved.scan;
      else {
        // A scan standing elsewhere (an earlier attempt of a retried page) is of no use.
        if (shelved) dispose(shelved.scan);
        scan = customers
          .find(afterId === undefined ? {} : { _id: { $gt: afterId } })
          .select(Object.fromEntries(read.fields.map((f) => [f, 1])))
          .sort({ _id: 1 })
          .lean<CustomerDoc>()
          .cursor({ batchSize: BATCH_SIZE });
      }
      const members: string[] = [];
      let lastId = afterId;
      try {
        while (members.length < size) {
          const customer = await scan.next();
          if (!customer) {
            dispose(scan);
            return { members, lastId, exhausted: true };
          }
          lastId = customer._id;
          if (read.isMember(customer)) members.push(customer._id);
        }
      } catch (err) {
        dispose(scan);
        throw err;
      }
      shelve(launch, scan, lastId);
      return { members, lastId, exhausted: false };
    },
  };
}
