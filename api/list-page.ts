// Lists, a page at a time: in `_id` order, continued from an opaque cursor (`after`, from the
// previous page's `next`). Keyset paging on `_id` is stable: an item added or removed meanwhile
// moves no other across a page boundary, so none is missed or repeated. Histories (a customer's
// messages) page newest first the same way, on (createdAt, _id): listNewestFirst.
import type { Model } from 'mongoose';
import { z } from 'zod';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * The cursor is the last `_id` of the page, base64url-encoded: opaque to clients, and any string
 * of the pattern is a position (the items whose `_id` sorts after it), so none is refused.
 */
const cursorSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,1000}$/, 'must be the `next` of a previous page')
  .meta({ description: 'The `next` of the previous page: the items after it' });

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Items per page (default ${DEFAULT_PAGE_SIZE})` }),
  after: cursorSchema.optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

/** A page's JSON: its items, and `next` unless it is the last. */
export const pageSchema = <S extends z.ZodType>(item: S) =>
  z.object({
    items: z.array(item),
    next: z.string().optional().meta({ description: 'Pass as `after` for the next page; absent on the last page' }),
  });

const encode = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
const decode = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/** One page of the documents that match `filter`, and the cursor to the next page if there is one. */
export async function listPage<D extends { _id: string }>(
  model: Model<D>,
  filter: Record<string, unknown>,
  query: PageQuery,
  projection?: Record<string, 0 | 1>,
): Promise<{ docs: D[]; next?: string }> {
  const from = query.after === undefined ? filter : { $and: [filter, { _id: { $gt: decode(query.after) } }] };
  // One more than the page: whether another page follows, without a count.
  const found = await model.find(from, projection).sort({ _id: 1 }).limit(query.limit + 1).lean<D[]>();
  const docs = found.slice(0, query.limit);
  return { docs, ...(found.length > query.limit ? { next: encode(docs[docs.length - 1]._id) } : {}) };
}

/**
 * A newest-first cursor: the last item's createdAt (ms, base 36: nine digits reach past the year
 * 5000, still a valid Date) and its `_id` (base64url), joined by a dot. Any string of the pattern
 * decodes to a position, so none is refused.
 */
const newestCursorSchema = z
  .string()
  .regex(/^[0-9a-z]{1,9}\.[A-Za-z0-9_-]{1,1000}$/, 'must be the `next` of a previous page')
  .meta({ description: 'The `next` of the previous page: the items older than it' });

export const newestPageQuerySchema = pageQuerySchema.extend({ after: newestCursorSchema.optional() });
export type NewestPageQuery = z.infer<typeof newestPageQuerySchema>;

const encodeNewest = (at: Date, id: string) => `${at.getTime().toString(36)}.${encode(id)}`;
function decodeNewest(cursor: string): { at: Date; id: string } {
  const [at, id] = cursor.split('.');
  return { at: new Date(parseInt(at, 36)), id: decode(id) };
}

/**
 * One page of the documents that match `filter`, newest first (`createdAt`, then `_id`, both
 * descending: keyset paging as listPage).
 */
export async function listNewestFirst<D extends { _id: string; createdAt: Date }>(
  model: Model<D>,
  filter: Record<string, unknown>,
  query: NewestPageQuery,
): Promise<{ docs: D[]; next?: string }> {
  let from = filter;
  if (query.after !== undefined) {
    const last = decodeNewest(query.after);
    from = { $and: [filter, { $or: [{ createdAt: { $lt: last.at } }, { createdAt: last.at, _id: { $lt: last.id } }] }] };
  }
  const found = await model.find(from).sort({ createdAt: -1, _id: -1 }).limit(query.limit + 1).lean<D[]>();
  const docs = found.slice(0, query.limit);
  const last = docs[docs.length - 1];
  return { docs, ...(found.length > query.limit ? { next: encodeNewest(last.createdAt, last._id) } : {}) };
}
