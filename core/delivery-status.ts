// Provider delivery statuses (Twilio's message statuses) and which one a message is at. Pure.

/**
 * Status order: callbacks can arrive out of order, and a message never moves back. Final
 * statuses share a rank; of those, the first reported stands.
 */
export const STATUS_RANK: Readonly<Record<string, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  read: 5,
};

/** The status a message is at, from the times each status was first reported. */
export function currentStatus(statuses: Readonly<Record<string, Date | string>>): string | undefined {
  let best: { status: string; rank: number; at: number } | undefined;
  for (const [status, at] of Object.entries(statuses)) {
    const rank = STATUS_RANK[status];
    if (rank === undefined) continue;
    const time = new Date(at).getTime();
    if (!best || rank > best.rank || (rank === best.rank && time < best.at)) best = { status, rank, at: time };
  }
  return best?.status;
}
