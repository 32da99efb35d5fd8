// Cairn's Prometheus metrics: every metric defined here, in prom-client's default registry, so
// code that counts imports what it counts and nothing is passed down through signatures. The
// API serves the registry at /metrics (api/metrics.ts), the worker on a port of its own beside
// the Temporal SDK's metrics (workers/metrics-server.ts). A process that runs both (the tests)
// has one registry: the counts of both, told apart by metric, not by process.
//
// Label values are bounded: route patterns, never paths; journey IDs (as many as journeys);
// short reason codes, never messages (reasonLabel).
import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';
import type { Channel } from '../core/channels';

export const registry = register;
collectDefaultMetrics({ register });

export const httpRequestDuration = new Histogram({
  name: 'cairn_http_request_duration_seconds',
  help: 'API requests by method, route pattern and status, and how long each took to answer (its _count is the request count)',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const eventsIngested = new Counter({
  name: 'cairn_events_ingested_total',
  help: 'Events received by the API: outcome "accepted" (stored), "duplicate" (an event ID already stored) or "suppressed" (an erased customer\'s: dropped)',
  labelNames: ['outcome'] as const,
});

/** How a customer came to the journey: a launch (listed customers or a segment), their segment, or an event. */
export type EntrySource = 'launch' | 'segment' | 'event';

export const journeyEntries = new Counter({
  name: 'cairn_journey_entries_total',
  help: 'Customers put forward for a journey, by journey, source (launch, segment, event) and outcome: "entered" or "already_entered" (in it already, or re-entry not allowed yet)',
  labelNames: ['journey', 'source', 'outcome'] as const,
});

export function countEntry(journeyId: string, source: EntrySource, entered: boolean): void {
  journeyEntries.inc({ journey: journeyId, source, outcome: entered ? 'entered' : 'already_entered' });
}

export const launchesEnded = new Counter({
  name: 'cairn_launches_ended_total',
  help: 'Segment launches that ended, by journey and outcome: "completed" (every member tried) or "stopped" (the journey was stopped)',
  labelNames: ['journey', 'outcome'] as const,
});

export const sends = new Counter({
  name: 'cairn_sends_total',
  help: 'Send outcomes recorded in the delivery ledger, by channel (the one used), outcome (sent, skipped, failed) and reason (a short code; empty when sent)',
  labelNames: ['channel', 'outcome', 'reason'] as const,
});

export const customersErased = new Counter({
  name: 'cairn_customers_erased_total',
  help: 'Customer erasures completed (DELETE /v1/customers/{id}), a repeated one included',
});

export const sendDeferrals = new Counter({
  name: 'cairn_send_deferrals_total',
  help: 'Send attempts deferred to a later time, by channel and reason (paused, quiet-hours, capped:<rule>)',
  labelNames: ['channel', 'reason'] as const,
});

export const capRefusals = new Counter({
  name: 'cairn_cap_refusals_total',
  help: 'Sends a frequency cap refused, by channel, rule, and what the send did: "skipped" or "deferred"',
  labelNames: ['channel', 'rule', 'then'] as const,
});

export const handOffRecoveries = new Counter({
  name: 'cairn_send_handoff_recoveries_total',
  help: 'Send attempts that found an earlier attempt had handed the message to the provider without recording how it went, and settled it',
  labelNames: ['channel'] as const,
});

export const sendsInFlight = new Counter({
  name: 'cairn_send_in_flight_total',
  help: 'Send attempts that found another attempt holding the hand-off lease (failure SendInFlight), and were retried after it',
  labelNames: ['channel'] as const,
});

export const firstSendSeconds = new Histogram({
  name: 'cairn_first_send_seconds',
  help: "Time from a customer's entry into a journey to the first message of the run that went out, by channel",
  labelNames: ['channel'] as const,
  // From an immediate send to one after days of waits.
  buckets: [1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600, 24 * 3_600, 3 * 24 * 3_600, 7 * 24 * 3_600],
});

/** Counts the outcome a send attempt recorded; with the run's entry time, the time to its first send. */
export function countSend(channel: Channel, outcome: { status: 'sent' | 'skipped' | 'failed'; reason?: string; type?: string }, enteredAt?: string): void {
  sends.inc({ channel, outcome: outcome.status, reason: outcome.status === 'sent' ? '' : reasonLabel(outcome.reason ?? '', outcome.type) });
  if (outcome.status === 'sent' && enteredAt) firstSendSeconds.observe({ channel }, Math.max(0, Date.now() - Date.parse(enteredAt)) / 1000);
}

/**
 * A reason as a label: short codes pass (`unsubscribed`, `capped:one-a-day`,
 * `rendered-empty:title`); a message (a provider's error, a missing template's name) becomes
 * its failure type, so every value comes from a bounded set.
 */
export function reasonLabel(reason: string, failureType?: string): string {
  return /^[a-z][a-z-]*(:[\w.-]{1,64})?$/.test(reason) ? reason : (failureType ?? 'other');
}

let countRunningLaunches: (() => Promise<number>) | undefined;

/**
 * The API's gauge of segment launches running, counted in Temporal's visibility at each scrape
 * (a launch is a workflow: no process holds the count). Registered by the API only, so the
 * worker's endpoint shows no stale zero.
 */
export function gaugeRunningLaunches(count: () => Promise<number>): void {
  countRunningLaunches = count;
  if (register.getSingleMetric('cairn_launches_running')) return;
  new Gauge({
    name: 'cairn_launches_running',
    help: 'Segment launches running now, from Temporal visibility at scrape time',
    async collect() {
      // Temporal out of reach: no number rather than a wrong one, and the rest still served.
      this.set(await countRunningLaunches!().catch(() => NaN));
    },
  });
}
