// `npm run bench:delivery`: messages delivered per second through the whole send activity,
// against the same activity without its delivery ledger and frequency caps, on the same servers
// in the same run.
//
// Starts its own embedded store and, in a child process (so its CPU is its own and it does not share
// the sender's event loop), the SMTP sink of dev/smtp-sink.ts: a real SMTP server that parses
// and keeps every message. Inserts BENCH_DELIVERY_CUSTOMERS (default: one per delivery)
// customers with attributes, a send history in the frequency collection, an email and a web
// template, the frequency-cap rules (stored as PUT /v1/settings/frequency-caps stores them:
// 3 marketing emails a day, 10 messages a week across channels; every send of the run is
// admitted) and account quiet hours that the run does not fall in. Then, per channel, with
// BENCH_DELIVERY_CONCURRENCY (default 16, a worker's activity slots) sends in flight:
// - full: BENCH_DELIVERIES (default 1,000) sends through `createSend` with the real ledger
//   (activities/ledger.ts) and cap reserver (activities/caps.ts): claim, customer and template
//   reads (at once), routing, Handlebars render, pause and quiet-hours checks, cap reservation
//   and hand-off mark (at once; the suppression read follows the mark), the adapter, outcome record;
// - baseline: the same number through the same `createSend` with a ledger that claims and
//   records nothing, a cap reserver that admits everything and no suppression read, half before and half after the
//   full path, so that drift (a filling database, a busy machine) weighs on both.
// Email goes through nodemailer over SMTP to the sink (the main figure); web writes the MongoDB
// inbox. Each send has its own idempotency key, as a journey run makes it (core/ids.ts sendKey).
// After each measurement the bench checks what arrived: the sink's messages (exactly one per
// key, with the Message-ID derived from it and the rendered subject), the inbox rows, the
// ledger's 'sent' rows and the frequency counts; it fails on any difference.
import { ChildProcess, fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import nodemailer, { Transporter } from 'nodemailer';
import type { mongo } from 'mongoose';
import { CapReserver, createCapReserver } from '../activities/caps';
import type { ChannelAdapter } from '../activities/channels/channel';
import { createEmailChannel, emailMessageId, EmailSettings } from '../activities/channels/email';
import { createWebChannel } from '../activities/channels/web';
import { CAPS_SETTING, QUIET_HOURS_SETTING, saveSetting } from '../db/settings';
import { createDeliveryLedger, DeliveryLedger } from '../activities/ledger';
import { createSend, SendDeps, SendInput } from '../activities/send';
import type { Channel } from '../core/channels';
import { capRulesSchema } from '../core/frequency-caps';
import { journeyWorkflowId, sendKey } from '../core/ids';
import { accountQuietHoursSchema } from '../core/journey-steps';
import type { EmailContent } from '../core/template-content';
import { unsubscribeUrl } from '../core/unsubscribe-links';
import { connectDatabase, Database } from '../db/connect';
import type { CustomerDoc } from '../db/models';
import { startSmtpSink } from '../dev/smtp-sink';
import { createMailTransport } from '../lib/mail-transport';
import { storeSendDeps } from '../workers/activity-deps';
import { Bench, chunks, CpuSnapshot, cpuSeconds, envInt, fmt, inLanes, log, machine, pad, peakRssMiB, report, Row, runBench, selfPeakRssMiB, timed } from './support';

const SINK_ARG = '--bench-smtp-sink';
const JOURNEY = 'bench-delivery';
const DOMAIN = 'bench.example.test';
const FROM = `Cairn Bench <hello@${DOMAIN}>`;
const PUBLIC_URL = 'https://cairn.bench.example.test';
const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const EMAIL_TEMPLATE = 'bench-offer-email';
const WEB_TEMPLATE = 'bench-offer-web';
const WARMUP = 64;
/** Frequency documents of the serial probes, apart from the customers'. */
const PROBE_PREFIX = 'probe-';
const DAY_MS = 86_400_000;
/** The cap rules of the run, as an operator would PUT them. */
const CAP_RULES = {
  rules: [
    { id: 'marketing-email-daily', channels: ['email'], limit: 3, window: '1d' },
    { id: 'all-weekly', limit: 10, window: '1w' },
  ],
};

const deliveries = envInt('BENCH_DELIVERIES', 1_000);
const concurrency = envInt('BENCH_DELIVERY_CONCURRENCY', 16);
const customerCount = envInt('BENCH_DELIVERY_CUSTOMERS', deliveries);

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tony', 'Leslie'];
const TIERS = ['gold', 'silver', 'basic'];
const CITIES = ['Lisbon', 'Oslo', 'Nairobi', 'Osaka', 'Lima', 'Tallinn', 'Perth'];

function customerId(i: number): string {
  return `c${pad(i)}`;
}

function customerDoc(i: number) {
  const now = Date.now();
  return {
    _id: customerId(i),
    email: `${customerId(i)}@example.test`,
    timeZone: 'Europe/Lisbon',
    locale: 'en-GB',
    consent: { email: true, web: true },
    attributes: {
      firstName: FIRST_NAMES[i % FIRST_NAMES.length],
      tier: TIERS[i % TIERS.length],
      points: (i * 37) % 5_000,
      city: CITIES[i % CITIES.length],
      signupYear: 2015 + (i % 10),
      favourites: ['hiking boots', 'rain jacket', 'thermos', 'head torch'].slice(0, 1 + (i % 4)),
      newsletter: i % 2 === 0,
    },
    events: {
      page_view: { count: 3 + (i % 40), first: new Date(now - 90 * DAY_MS), last: new Date(now - 2 * DAY_MS) },
      add_to_cart: { count: 1 + (i % 5), first: new Date(now - 60 * DAY_MS), last: new Date(now - 5 * DAY_MS) },
    },
    lastSeenAt: new Date(now - 2 * DAY_MS),
  };
}

/** The subject the email template renders for customer i (checked against what the sink received). */
function expectedSubject(i: number): string {
  const c = customerDoc(i).attributes;
  return `${c.firstName}, your ${c.points} ${c.tier} points are waiting`;
}

const EMAIL_CONTENT: EmailContent = {
  subject: '{{customer.firstName}}, your {{customer.points}} {{customer.tier}} points are waiting',
  html: [
    '<!doctype html><html><body style="font-family: sans-serif">',
    '<h1>Hello {{customer.firstName}}</h1>',
    '<p>You have <strong>{{customer.points}}</strong> points on your {{customer.tier}} membership, a member since {{customer.signupYear}}.</p>',
    '{{#if customer.favourites}}<p>Picked for you in {{customer.city}}:</p><ul>{{#each customer.favourites}}<li>{{this}}</li>{{/each}}</ul>{{/if}}',
    '{{#if customer.newsletter}}<p>Thanks for reading our newsletter.</p>{{else}}<p>Get our newsletter for early offers.</p>{{/if}}',
    '<p><a href="https://shop.example.test/points?c={{customer.id}}">Spend your points</a></p>',
    '<p style="font-size: small"><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
    '</body></html>',
  ].join('\n'),
  text: [
    'Hello {{customer.firstName}},',
    '',
    'You have {{customer.points}} points on your {{customer.tier}} membership.',
    '{{#each customer.favourites}}- {{this}}\n{{/each}}',
    'Spend them: https://shop.example.test/points?c={{customer.id}}',
    '',
    'Unsubscribe: {{unsubscribeUrl}}',
  ].join('\n'),
};

const WEB_CONTENT = {
  title: '{{customer.firstName}}, {{customer.points}} points to spend',
  body: 'Your {{customer.tier}} membership has {{customer.points}} points.{{#if customer.favourites}} Picked for you: {{#each customer.favourites}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}.{{/if}}',
  link: 'https://shop.example.test/points?c={{customer.id}}',
};

if (process.argv[2] === SINK_ARG) runSinkChild();
else runBench('delivery', 900, main);

async function main(bench: Bench): Promise<void> {
  log(`machine: ${JSON.stringify(machine())}`);
  log(
    `delivery benchmark: ${fmt.n(deliveries)} sends per measurement, ${concurrency} in flight, ` +
      `${fmt.n(customerCount)} customers; servers and data in ${bench.dir}`,
  );
  checkCapsAdmitAll();

  const [store, sink] = await Promise.all([bench.startMongoStore(), startSinkChild(bench)]);
  log(`store at ${store.baseUri}, SMTP sink (pid ${sink.pid}) on port ${sink.port}`);
  // Command monitoring, to count and time every database operation of the send path.
  const db = await connectDatabase(`${store.baseUri}/cairn_bench_delivery?monitorCommands=true`);
  bench.onCleanup('database connection', () => db.close());
  const ops = new OpMonitor(db);

  const setupS = await timed(() => seed(db));
  log(`inserted ${fmt.n(customerCount)} customers, their send history, 2 templates, the cap rules and quiet hours in ${fmt.s(setupS)}`);

  // As workers/activity-deps.ts builds them: the mail transport from an SMTP URL (one connection
  // per message; no DKIM key, as by default), the email adapter with its List-Unsubscribe
  // settings, the inbox adapter, the pause and quiet-hours checks (each read at most every 5 s),
  // and the unsubscribe link for templates.
  const mailConfig = { smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: FROM, messageIdDomain: DOMAIN };
  const transport = createMailTransport(mailConfig);
  bench.onCleanup('SMTP transport', () => transport.close());
  const emailSettings: EmailSettings = { from: FROM, messageIdDomain: DOMAIN };
  const stages = new StageClock();
  const channels: Partial<Record<Channel, ChannelAdapter>> = {
    email: timedAdapter(createEmailChannel(transport, emailSettings), stages),
    web: timedAdapter(createWebChannel(db.models.inbox), stages),
  };
  const stored = storeSendDeps(db);
  const common: SendDeps = {
    ...stored,
    channels,
    unsubscribeUrl: (customer, journeyId) => unsubscribeUrl(PUBLIC_URL, SIGNING_SECRET, customer, journeyId),
  };
  const fullSend = createSend({ ...common, ledger: timedLedger(stored.ledger, stages), reserveCap: timedCaps(stored.reserveCap, stages) });
  const baseSend = createSend({ ...common, ledger: passThroughLedger, reserveCap: admitAll, erasures: noErasures });

  const run = (channel: Channel, variant: 'full' | 'baseline', stepId: string, from: number, count: number) =>
    measure({ bench, sink, ops, stages, send: variant === 'full' ? fullSend : baseSend, channel, variant, stepId, from, count });

  // Warm-up (not measured): connections, compiled templates, JIT. Baseline variant only, so the
  // ledger and the caps see nothing but the measured sends.
  for (const channel of ['email', 'web'] as const) {
    const warm = await run(channel, 'baseline', `warmup-${channel}`, 0, WARMUP);
    await verify(db, sink, warm, false);
  }
  log(`warmed up with ${WARMUP} baseline sends per channel`);
  const probeStart = await serialProbe(db, ops, 'start');

  const half = Math.floor(deliveries / 2);
  const results: Record<Channel, ChannelResult> = {} as Record<Channel, ChannelResult>;
  for (const channel of ['email', 'web'] as const) {
    const a = await run(channel, 'baseline', `${channel}-baseline-a`, 0, half);
    await verify(db, sink, a, false);
    const full = await run(channel, 'full', `${channel}-full`, 0, deliveries);
    await verify(db, sink, full, true);
    const b = await run(channel, 'baseline', `${channel}-baseline-b`, half, deliveries - half);
    await verify(db, sink, b, false);
    results[channel] = { a, full, b };
  }
  const frequency = await checkFrequency(db);
  const rounds = { email: await roundTrips(db, ops, fullSend, 'email'), web: await roundTrips(db, ops, fullSend, 'web') };
  await sink.take(); // the round-trip probe's emails
  const probeEnd = await serialProbe(db, ops, 'end');
  const adapterOnly = await adapterProbe(sink, createMailTransport(mailConfig), emailSettings, Math.max(100, Math.floor(deliveries / 4)));

  // The report.
  const peaks = bench.serverPeaks();
  const rows: Row[] = [];
  for (const channel of ['email', 'web'] as const) rows.push(...channelRows(channel, results[channel]));
  for (const channel of ['email', 'web'] as const) {
    rows.push([
      `${channel}: store round trips per send, one send at a time (commands that overlap share one), full path; the commands`,
      `**${rounds[channel].rounds.toFixed(2)}**; ${rounds[channel].commands}`,
    ]);
  }
  rows.push(
    [
      `one at a time, mean of 20, before the measurements; after (ledger ${fmt.n(probeStart.sizes.deliveries)}; ${fmt.n(probeEnd.sizes.deliveries)} rows): ledger claim (findAndModify, upsert)`,
      `${probeStart.writes.claim.toFixed(1)} ms; ${probeEnd.writes.claim.toFixed(1)} ms`,
    ],
    [
      'the same: cap reservation of an email (find + update + findAndModify on one frequency doc with history)',
      `${probeStart.writes.caps.toFixed(1)} ms (${opsMs(probeStart.capOps)}); ${probeEnd.writes.caps.toFixed(1)} ms (${opsMs(probeEnd.capOps)})`,
    ],
    [
      'the same: hand-off mark; record (each an update by `_id`)',
      `${probeStart.writes.handOff.toFixed(1)}, ${probeStart.writes.record.toFixed(1)} ms; ` +
        `${probeEnd.writes.handOff.toFixed(1)}, ${probeEnd.writes.record.toFixed(1)} ms`,
    ],
    [
      `the same: read by \`_id\` of a ledger row; a customer (${fmt.n(probeEnd.sizes.customers)}); a frequency doc (${fmt.n(probeEnd.sizes.frequency)}); a template (2)`,
      `${probeStart.reads.deliveries.toFixed(1)}, ${probeStart.reads.customers.toFixed(1)}, ${probeStart.reads.frequency.toFixed(1)}, ${probeStart.reads.templates.toFixed(1)} ms; ` +
        `${probeEnd.reads.deliveries.toFixed(1)}, ${probeEnd.reads.customers.toFixed(1)}, ${probeEnd.reads.frequency.toFixed(1)}, ${probeEnd.reads.templates.toFixed(1)} ms`,
    ],
    [
      'the same, on a frequency doc: find by `_id` with an `$exists` condition; update `$push` by `_id`; the same update with the condition',
      `${probeStart.conditions.find.toFixed(1)}, ${probeStart.conditions.push.toFixed(1)}, ${probeStart.conditions.pushIf.toFixed(1)} ms; ` +
        `${probeEnd.conditions.find.toFixed(1)}, ${probeEnd.conditions.push.toFixed(1)}, ${probeEnd.conditions.pushIf.toFixed(1)} ms`,
    ],
    [
      `email adapter alone, ${fmt.n(adapterOnly.count)} pre-rendered messages, ${concurrency} in flight: pooled connections (as configured); a connection per message`,
      `${fmt.rate(adapterOnly.count / adapterOnly.pooledS)}; ${fmt.rate(adapterOnly.count / adapterOnly.freshS)}`,
    ],
    [
      'checks: messages at the sink (distinct Message-IDs, derived from the keys, subjects rendered); ledger rows `sent` (full path); inbox rows; cap counts',
      `${fmt.n(results.email.full.count)} + ${fmt.n(results.email.a.count + results.email.b.count)} baseline, exact; ${fmt.n(results.email.full.count)} email + ${fmt.n(results.web.full.count)} web; all; ${frequency}`,
    ],
    ['peak RSS: bench process (send path); SMTP sink process; store', `${fmt.mib(selfPeakRssMiB())}; ${fmt.mib(peakRssMiB(sink.pid))}; ${fmt.mib(peaks.store)}`],
    ['set-up: customers, history, templates and rules (not a result)', fmt.s(setupS)],
  );
  const summary = (m: Measurement) => ({ ...m, latencies: undefined, latency: latencyStats(m.latencies) });
  report('delivery', `Delivery, ${fmt.n(deliveries)} sends per measurement, ${concurrency} in flight, ${fmt.n(customerCount)} customers`, rows, {
    deliveries,
    concurrency,
    customers: customerCount,
    capRules: CAP_RULES,
    email: { a: summary(results.email.a), full: summary(results.email.full), b: summary(results.email.b) },
    web: { a: summary(results.web.a), full: summary(results.web.full), b: summary(results.web.b) },
    probe: { start: probeStart, end: probeEnd },
    adapterOnly,
    peaks: { ...peaks, sink: peakRssMiB(sink.pid), bench: selfPeakRssMiB() },
  });
}

// ---------------------------------------------------------------------------------------------
// The variants.

/**
 * The measurement variant (the baseline), not a mode to run in: claims nothing and records
 * nothing, so every attempt delivers; a retried activity would deliver twice.
 */
/** The baseline's: nobody is erased, and the suppression is never read. */
const noErasures: SendDeps['erasures'] = { erased: async () => false, forget: async () => undefined };

const passThroughLedger: DeliveryLedger = {
  claim: async () => ({ parts: {} }),
  find: async () => ({ parts: {} }),
  record: async (_key, outcome) => outcome,
  claimForHandOff: async () => ({ parts: {}, handedOff: true }),
  takeOver: async () => ({ parts: {} }),
  renewLease: async () => true,
  withdrawHandOff: async () => undefined,
  releaseLease: async () => undefined,
  recordPart: async () => undefined,
};

/** The measurement variant's cap reserver: admits every send, reads and writes nothing. */
const admitAll: CapReserver = async () => ({ admitted: true });

/** Wall-clock milliseconds spent in each stage of the sends, summed over one measurement. */
class StageClock {
  totals: Record<string, number> = {};
  reset(): void {
    this.totals = {};
  }
  async time<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.totals[stage] = (this.totals[stage] ?? 0) + performance.now() - start;
    }
  }
}

function timedLedger(inner: DeliveryLedger, clock: StageClock): DeliveryLedger {
  return {
    claim: (send) => clock.time('ledger claim', () => inner.claim(send)),
    find: (key) => clock.time('ledger read', () => inner.find(key)),
    record: (key, outcome) => clock.time('ledger record', () => inner.record(key, outcome)),
    claimForHandOff: (send, handOff, owner) => clock.time('ledger claim + hand-off', () => inner.claimForHandOff(send, handOff, owner)),
    takeOver: (key, owner) => clock.time('ledger take-over', () => inner.takeOver(key, owner)),
    renewLease: (key, owner) => clock.time('ledger lease renewed', () => inner.renewLease(key, owner)),
    withdrawHandOff: (key, owner) => clock.time('ledger hand-off withdrawn', () => inner.withdrawHandOff(key, owner)),
    releaseLease: (key, owner) => clock.time('ledger lease released', () => inner.releaseLease(key, owner)),
    recordPart: (key, part, id) => clock.time('ledger part', () => inner.recordPart(key, part, id)),
  };
}

function timedCaps(inner: CapReserver, clock: StageClock): CapReserver {
  return (request) => clock.time('caps', () => inner(request));
}

function timedAdapter(inner: ChannelAdapter, clock: StageClock): ChannelAdapter {
  return { channel: inner.channel, addressOf: (c) => inner.addressOf(c), deliver: (m) => clock.time('adapter', () => inner.deliver(m)) };
}

// ---------------------------------------------------------------------------------------------
// Measuring.

interface Measurement {
  channel: Channel;
  variant: 'full' | 'baseline';
  stepId: string;
  /** Customer index of the first send; send i goes to customer (from + i) mod customers. */
  from: number;
  count: number;
  seconds: number;
  /** Per-send wall-clock latency, ms. */
  latencies: number[];
  /** Sends per second over the first and the last quarter of the sends to finish. */
  quarters: [number, number];
  /** Summed ms per stage (ledger calls, caps, adapter). */
  stages: Record<string, number>;
  /** Database commands during the measurement, by command and collection. */
  ops: Record<string, { n: number; ms: number }>;
  /** CPU seconds used during the measurement. */
  cpu: { bench: number; store: number; sink: number };
  /** Ledger rows when the measurement began and ended. */
  ledgerRows: [number, number];
}

interface ChannelResult {
  a: Measurement;
  full: Measurement;
  b: Measurement;
}

function keyOf(stepId: string, customer: number): string {
  return sendKey(journeyWorkflowId(JOURNEY, customerId(customer), 1), stepId, 1);
}

async function measure(options: {
  bench: Bench;
  sink: SinkHandle;
  ops: OpMonitor;
  stages: StageClock;
  send: ReturnType<typeof createSend>;
  channel: Channel;
  variant: 'full' | 'baseline';
  stepId: string;
  from: number;
  count: number;
}): Promise<Measurement> {
  const { bench, sink, ops, stages, send, channel, variant, stepId, from, count } = options;
  const db = ops.db;
  const rowsBefore = await db.models.deliveries.estimatedDocumentCount();
  const latencies: number[] = new Array(count);
  let done = 0;
  const finishedAt: number[] = [];
  const begin = performance.now();
  const cpu0: CpuSnapshot = { ...bench.cpu(), sink: cpuSeconds(sink.pid) };
  ops.reset();
  stages.reset();
  const seconds = await timed(() =>
    inLanes(count, concurrency, async (i) => {
      const customer = (from + i) % customerCount;
      const input: SendInput = {
        key: keyOf(stepId, customer),
        journeyId: JOURNEY,
        customerId: customerId(customer),
        stepId,
        channel,
        templateId: channel === 'email' ? EMAIL_TEMPLATE : WEB_TEMPLATE,
        via: channel,
      };
      const start = performance.now();
      const result = await send(input);
      latencies[i] = performance.now() - start;
      finishedAt.push(performance.now());
      if (result.status !== 'sent') throw new Error(`${stepId}: send ${input.key} ended ${JSON.stringify(result)}, expected sent`);
      if (++done % 500 === 0) log(`  ${stepId}: ${fmt.n(done)} sent`);
    }),
  );
  const opsSeen = ops.snapshot();
  const stageTotals = { ...stages.totals };
  const cpu1: CpuSnapshot = { ...bench.cpu(), sink: cpuSeconds(sink.pid) };
  const rowsAfter = await db.models.deliveries.estimatedDocumentCount();
  const diff = (name: 'bench' | 'store' | 'sink') => (cpu1[name] ?? NaN) - (cpu0[name] ?? NaN);
  const q = Math.max(1, Math.floor(count / 4));
  const quarters: [number, number] = [(q * 1000) / (finishedAt[q - 1] - begin), (q * 1000) / (finishedAt[count - 1] - (finishedAt[count - q - 1] ?? begin))];
  log(`${stepId}: ${fmt.n(count)} in ${fmt.s(seconds)} (${fmt.rate(count / seconds)}; first quarter ${fmt.rate(quarters[0])}, last ${fmt.rate(quarters[1])})`);
  return {
    channel,
    variant,
    stepId,
    from,
    count,
    seconds,
    latencies,
    quarters,
    stages: stageTotals,
    ops: opsSeen,
    cpu: { bench: diff('bench'), store: diff('store'), sink: diff('sink') },
    ledgerRows: [rowsBefore, rowsAfter],
  };
}

/**
 * What a measurement delivered, exactly: for email, one message per key at the sink with the
 * key's Message-ID, sent to that customer with the subject rendered for them; for web, one inbox
 * row per key; and one ledger row `sent` per key on the full path, none on the baseline.
 */
async function verify(db: Database, sink: SinkHandle, m: Measurement, withLedger: boolean): Promise<void> {
  const wanted = new Map<string, number>();
  for (let i = 0; i < m.count; i++) {
    const customer = (m.from + i) % customerCount;
    wanted.set(keyOf(m.stepId, customer), customer);
  }
  if (wanted.size !== m.count) throw new Error(`${m.stepId}: keys repeat (more sends than customers?)`);
  const mails = await sink.take();
  if (m.channel === 'email') {
    const byMessageId = new Map([...wanted].map(([key, customer]) => [emailMessageId(key, DOMAIN), customer]));
    const seen = new Set<string>();
    for (const mail of mails) {
      const customer = mail.messageId === undefined ? undefined : byMessageId.get(mail.messageId);
      if (customer === undefined) throw new Error(`${m.stepId}: the sink received an unexpected message ${mail.messageId}`);
      if (seen.has(mail.messageId!)) throw new Error(`${m.stepId}: the sink received ${mail.messageId} twice`);
      seen.add(mail.messageId!);
      const to = customerDoc(customer).email;
      if (mail.to.length !== 1 || mail.to[0] !== to) throw new Error(`${m.stepId}: ${mail.messageId} went to ${mail.to.join(', ')}, not ${to}`);
      if (mail.subject !== expectedSubject(customer)) throw new Error(`${m.stepId}: ${mail.messageId} has subject "${mail.subject}"`);
      if (!mail.journeyHeader) throw new Error(`${m.stepId}: ${mail.messageId} lacks X-Cairn-Journey`);
    }
    if (seen.size !== m.count) throw new Error(`${m.stepId}: the sink received ${seen.size} distinct messages, expected ${m.count}`);
  } else {
    if (mails.length !== 0) throw new Error(`${m.stepId}: the sink received ${mails.length} messages during web sends`);
    const rows = await db.models.inbox.find({ journeyId: JOURNEY }, { _id: 1, customerId: 1, title: 1 }).lean();
    const mine = rows.filter((r) => wanted.has(r._id));
    for (const row of mine) {
      const customer = wanted.get(row._id)!;
      if (row.customerId !== customerId(customer) || !row.title.startsWith(`${customerDoc(customer).attributes.firstName}, `)) {
        throw new Error(`${m.stepId}: inbox row ${row._id} is ${JSON.stringify(row)}`);
      }
    }
    if (mine.length !== m.count) throw new Error(`${m.stepId}: the inbox holds ${mine.length} rows, expected ${m.count}`);
  }
  const ledger = await db.models.deliveries.find({ stepId: m.stepId }, { state: 1 }).lean();
  const sent = ledger.filter((r) => r.state === 'sent' && wanted.has(r._id)).length;
  const expected = withLedger ? m.count : 0;
  if (ledger.length !== expected || sent !== expected) {
    throw new Error(`${m.stepId}: the ledger holds ${ledger.length} rows, ${sent} of them sent; expected ${expected} sent`);
  }
}

/**
 * The caps counted every full-path send: per customer, each rule's list keeps its newest
 * `limit` places, and no customer gets more sends than that in the run (checkCapsAdmitAll), so
 * every list holds the seeded history plus this run's sends.
 */
async function checkFrequency(db: Database): Promise<string> {
  const docs = await db.models.frequency.find({}).lean();
  let daily = 0;
  let weekly = 0;
  for (const doc of docs) {
    if (doc._id.startsWith(PROBE_PREFIX)) continue;
    daily += doc.held?.['marketing-email-daily']?.length ?? 0;
    weekly += doc.held?.['all-weekly']?.length ?? 0;
  }
  const wantDaily = customerCount + deliveries;
  const wantWeekly = 2 * customerCount + 2 * deliveries;
  if (daily !== wantDaily || weekly !== wantWeekly) {
    throw new Error(`frequency counts: daily email ${daily} (expected ${wantDaily}), weekly ${weekly} (expected ${wantWeekly})`);
  }
  return `${fmt.n(deliveries)} email + ${fmt.n(deliveries)} web sends counted, each once`;
}

/** Every full-path send of the run must be admitted: the caps are there to be checked, not to bite. */
function checkCapsAdmitAll(): void {
  const perCustomer = Math.ceil(deliveries / customerCount);
  // History: nothing in the last day, one send two days ago (see seed).
  if (perCustomer > 3 || 1 + 2 * perCustomer > 10) {
    throw new Error(`${deliveries} sends over ${customerCount} customers would hit the caps; raise BENCH_DELIVERY_CUSTOMERS`);
  }
  if (customerCount < concurrency) throw new Error(`BENCH_DELIVERY_CUSTOMERS must be at least BENCH_DELIVERY_CONCURRENCY`);
}

/** "HH:MM" in Lisbon, `hours` from now. */
function lisbonTimeIn(hours: number): string {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Lisbon', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return format.format(new Date(Date.now() + hours * 3_600_000));
}

/** A customer's sends before the run: an email 2 days ago, a message 8 days ago. */
function sendHistory(now: number): Record<string, { t: number; k: string }[]> {
  const email = { t: now - 2 * DAY_MS, k: 'earlier-email' };
  return { 'marketing-email-daily': [email], 'all-weekly': [{ t: now - 8 * DAY_MS, k: 'earlier-message' }, email] };
}

async function seed(db: Database): Promise<void> {
  const now = Date.now();
  for (const chunk of chunks(Array.from({ length: customerCount }, (_, i) => customerDoc(i)), 1000)) {
    await db.models.customers.insertMany(chunk);
  }
  // Everyone was messaged before: an email 2 days ago (outside the daily window, inside the
  // weekly one) and a message 8 days ago (outside both), as a running system holds them.
  const history = Array.from({ length: customerCount }, (_, i) => ({
    _id: customerId(i),
    held: sendHistory(now),
  }));
  for (const chunk of chunks(history, 1000)) await db.models.frequency.insertMany(chunk);
  await db.models.templates.insertMany([
    { _id: EMAIL_TEMPLATE, channel: 'email', content: EMAIL_CONTENT },
    { _id: WEB_TEMPLATE, channel: 'web', content: WEB_CONTENT },
  ]);
  await db.models.journeys.insertMany([{ _id: JOURNEY, version: 1, definition: { name: 'Bench delivery' }, live: true }]);
  // As PUT /v1/settings/frequency-caps stores them (api/routes/settings.ts).
  const value = capRulesSchema.parse(CAP_RULES);
  await saveSetting(db.models.settings, CAPS_SETTING, value);
  // Account quiet hours that the run never falls in (from 6 to 10 hours from now, Lisbon time),
  // so that every send does the check and none is held.
  const quiet = accountQuietHoursSchema.parse({ start: lisbonTimeIn(6), end: lisbonTimeIn(10), timeZone: 'Europe/Lisbon' });
  await saveSetting(db.models.settings, QUIET_HOURS_SETTING, quiet);
}

/**
 * Milliseconds, one operation at a time (nothing else running): the ledger's and the caps' own
 * operations for 20 sends of their own (keys and frequency documents apart from the measured
 * ones), then a read by `_id` in each collection the send path reads. Run before the
 * measurements and after them, to see what a growing ledger costs.
 */
async function serialProbe(db: Database, ops: OpMonitor, tag: string) {
  const m = db.models;
  const ids = Array.from({ length: 20 }, (_, i) => Math.floor(((i + 0.5) * customerCount) / 20));
  const mean = async (fn: (i: number) => Promise<unknown>) => {
    const s = await timed(async () => {
      for (const i of ids) await fn(i);
    });
    return (s * 1000) / ids.length;
  };
  const ledger = createDeliveryLedger(m.deliveries);
  const reserve = createCapReserver(m);
  const key = (i: number) => keyOf(`probe-${tag}`, i);
  const capsId = (i: number) => `${PROBE_PREFIX}${tag}-${pad(i)}`;
  await reserve({ customerId: capsId(-1), channel: 'web', key: 'probe-rules' }); // reads the rules once
  // Frequency documents with the customers' seeded history, so the reservations see what theirs do.
  await m.frequency.insertMany(ids.map((i) => ({ _id: capsId(i), held: sendHistory(Date.now()) })));
  const identity = (i: number) => ({ key: key(i), channel: 'web' as const, customerId: customerId(i), journeyId: JOURNEY, stepId: `probe-${tag}` });
  const sizes = {
    deliveries: await m.deliveries.estimatedDocumentCount(),
    customers: await m.customers.estimatedDocumentCount(),
    frequency: await m.frequency.estimatedDocumentCount(),
  };
  let capOps: Record<string, { n: number; ms: number }> = {};
  const writes = {
    claim: await mean((i) => ledger.claim(identity(i))),
    caps: await (async () => {
      ops.reset();
      const ms = await mean((i) => reserve({ customerId: capsId(i), channel: 'email', key: key(i) }));
      capOps = ops.snapshot();
      return ms;
    })(),
    handOff: await mean((i) => ledger.claimForHandOff({ ...identity(i), key: `${key(i)}-handoff` }, { channel: 'web', templateId: WEB_TEMPLATE, digest: 'probe' }, 'probe')),
    record: await mean((i) => ledger.record(key(i), { status: 'sent', messageId: key(i) })),
  };
  const reads = {
    deliveries: await mean((i) => m.deliveries.findById(key(i)).lean()),
    customers: await mean((i) => m.customers.findById(customerId(i)).lean()),
    frequency: await mean((i) => m.frequency.findById(capsId(i)).lean()),
    templates: await mean(() => m.templates.findById(EMAIL_TEMPLATE).lean()),
  };
  // What the reservation's conditional update costs, taken apart: the same `$exists` condition
  // in a find, and the same `$push` without and with it.
  const t = Date.now();
  const full = { 'held.all-weekly.9': { $exists: false } };
  const place = { $each: [{ t, k: 'probe' }], $sort: { t: 1 }, $slice: -10 };
  const conditions = {
    find: await mean((i) => m.frequency.findOne({ _id: capsId(i), ...full }).lean()),
    push: await mean((i) => m.frequency.updateOne({ _id: capsId(i) }, { $push: { 'held.all-weekly': place } })),
    pushIf: await mean((i) => m.frequency.updateOne({ _id: capsId(i), ...full }, { $push: { 'held.all-weekly': place } })),
  };
  log(`serial probe (${tag}, ledger ${fmt.n(sizes.deliveries)} rows): ${JSON.stringify({ writes, reads, conditions }, (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v))}`);
  return { sizes, writes, reads, conditions, capOps };
}

/**
 * Store round trips of the full send path, one send at a time to customers of its own: the
 * commands of a send, grouped where they overlap (commands issued together are one round trip).
 */
async function roundTrips(db: Database, ops: OpMonitor, send: ReturnType<typeof createSend>, channel: Channel) {
  const SENDS = 20;
  const customers = Array.from({ length: SENDS }, (_, i) => ({ ...customerDoc(i), _id: `${PROBE_PREFIX}rounds-${channel}-${i}` }));
  await db.models.customers.insertMany(customers);
  let rounds = 0;
  const commands: Record<string, number> = {};
  for (const customer of customers) {
    ops.trace = [];
    const result = await send({
      key: sendKey(journeyWorkflowId(JOURNEY, customer._id, 1), `rounds-${channel}`, 1),
      journeyId: JOURNEY,
      customerId: customer._id,
      stepId: `rounds-${channel}`,
      channel,
      templateId: channel === 'email' ? EMAIL_TEMPLATE : WEB_TEMPLATE,
      via: channel,
    });
    if (result.status !== 'sent') throw new Error(`round-trip probe: ${customer._id} ended ${JSON.stringify(result)}`);
    const trace = ops.trace.sort((a, b) => a.start - b.start);
    ops.trace = undefined;
    let openUntil = -Infinity;
    for (const command of trace) {
      if (command.start > openUntil) rounds += 1;
      openUntil = Math.max(openUntil, command.end);
      commands[command.name] = (commands[command.name] ?? 0) + 1;
    }
  }
  const perSend = Object.entries(commands)
    .map(([name, n]) => `${name} ${(n / SENDS).toFixed(2)}`)
    .join(', ');
  return { rounds: rounds / SENDS, commands: perSend };
}

/**
 * The email adapter alone, content rendered beforehand: what SMTP to the sink allows, with the
 * transport as configured (pooled connections) and with a new connection per message.
 */
async function adapterProbe(sink: SinkHandle, configured: Transporter, settings: EmailSettings, count: number) {
  const customer = { ...customerDoc(0), createdAt: new Date(), updatedAt: new Date() } as CustomerDoc;
  const content = { subject: 'Probe', html: '<p>Probe</p>', text: 'Probe' };
  const run = async (transport: Transporter, tag: string) => {
    const adapter = createEmailChannel(transport, settings);
    try {
      return await timed(() =>
        inLanes(count, concurrency, async (i) => {
          await adapter.deliver({ key: `probe-${tag}-${i}`, journeyId: JOURNEY, customer, address: customer.email!, content, parts: { done: {}, record: async () => undefined } });
        }),
      );
    } finally {
      transport.close();
    }
  };
  const pooledS = await run(configured, 'pooled');
  const freshS = await run(nodemailer.createTransport({ host: '127.0.0.1', port: sink.port, secure: false }), 'fresh');
  const received = await sink.take();
  if (new Set(received.map((r) => r.messageId)).size !== 2 * count) throw new Error(`adapter probe: the sink received ${received.length} of ${2 * count}`);
  log(`adapter alone: ${fmt.rate(count / freshS)} with a connection per message, ${fmt.rate(count / pooledS)} pooled`);
  return { count, freshS, pooledS };
}

// ---------------------------------------------------------------------------------------------
// The report rows of one channel.

/** "find 1.2, update 3.4, findAndModify 5.6 ms": mean ms per command kind. */
function opsMs(ops: Record<string, { n: number; ms: number }>): string {
  return Object.entries(ops)
    .filter(([k]) => !k.endsWith(' settings'))
    .map(([k, v]) => `${k.split(' ')[0]} ${(v.ms / v.n).toFixed(1)}`)
    .join(', ') + ' ms';
}

function latencyStats(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

function channelRows(channel: Channel, r: ChannelResult): Row[] {
  const { a, full, b } = r;
  const baseCount = a.count + b.count;
  const baseS = a.seconds + b.seconds;
  const fullRate = full.count / full.seconds;
  const baseRate = baseCount / baseS;
  const fullLat = latencyStats(full.latencies);
  const baseLat = latencyStats([...a.latencies, ...b.latencies]);
  const label = channel === 'email' ? 'email (nodemailer → SMTP sink)' : 'web (MongoDB inbox)';
  const perSend = (ms: number, n: number) => (ms / n).toFixed(1);
  const sumOps = (ms: Measurement[]) => {
    const out: Record<string, { n: number; ms: number }> = {};
    for (const m of ms) for (const [k, v] of Object.entries(m.ops)) out[k] = { n: (out[k]?.n ?? 0) + v.n, ms: (out[k]?.ms ?? 0) + v.ms };
    return out;
  };
  const opsText = (ops: Record<string, { n: number; ms: number }>, n: number) => {
    const total = Object.values(ops).reduce((s, v) => s + v.n, 0);
    const parts = Object.entries(ops)
      .sort((x, y) => y[1].n - x[1].n)
      .map(([k, v]) => `${k} ${(v.n / n).toFixed(2)} × ${(v.ms / v.n).toFixed(1)} ms`);
    return `${(total / n).toFixed(2)} (${parts.join(', ')})`;
  };
  const stageText = Object.entries(full.stages)
    .map(([k, v]) => `${k} ${perSend(v, full.count)}`)
    .join(', ');
  const baseAdapter = ((a.stages.adapter ?? 0) + (b.stages.adapter ?? 0)) / baseCount;
  const cpuText = (ms: Measurement[]) => {
    const n = ms.reduce((s, m) => s + m.count, 0);
    const sum = (k: 'bench' | 'store' | 'sink') => ms.reduce((s, m) => s + m.cpu[k], 0);
    return `bench ${((sum('bench') * 1000) / n).toFixed(1)}, store ${((sum('store') * 1000) / n).toFixed(1)}${channel === 'email' ? `, sink ${((sum('sink') * 1000) / n).toFixed(1)}` : ''}`;
  };
  const cpuTotals = (m: Measurement) => `bench ${m.cpu.bench.toFixed(1)} s, store ${m.cpu.store.toFixed(1)} s${channel === 'email' ? `, sink ${m.cpu.sink.toFixed(1)} s` : ''}`;
  return [
    [`**${label}: delivered/s, full path** (ledger + caps + render + adapter, ${concurrency} in flight)`, `**${fmt.rate(fullRate)}**`],
    [`**${channel} baseline: delivered/s without ledger and caps** (A; A′)`, `**${fmt.rate(baseRate)}** (${fmt.rate(a.count / a.seconds)}; ${fmt.rate(b.count / b.seconds)})`],
    [`**${channel}: ratio full ÷ baseline**`, `**${fmt.ratio(fullRate / baseRate)}**`],
    [`${channel}: times, full; baseline (A + A′)`, `${fmt.s(full.seconds)}; ${fmt.s(a.seconds)} + ${fmt.s(b.seconds)}`],
    [`${channel}: full path, first quarter of the sends; last quarter (the ledger filling up)`, `${fmt.rate(full.quarters[0])}; ${fmt.rate(full.quarters[1])}`],
    [
      `${channel}: ledger + caps added per send: wall-clock at ${concurrency} in flight (1/rate); latency (mean)`,
      `${(1000 / fullRate - 1000 / baseRate).toFixed(1)} ms; ${(fullLat.mean - baseLat.mean).toFixed(1)} ms`,
    ],
    [
      `${channel}: send latency mean / p50 / p95, full; baseline`,
      `${fullLat.mean.toFixed(0)} / ${fullLat.p50.toFixed(0)} / ${fullLat.p95.toFixed(0)} ms; ${baseLat.mean.toFixed(0)} / ${baseLat.p50.toFixed(0)} / ${baseLat.p95.toFixed(0)} ms`,
    ],
    [`${channel}: time in each stage per send, full path (ms; the adapter on the baseline)`, `${stageText}; adapter ${baseAdapter.toFixed(1)}`],
    [`${channel}: DB operations per send (× mean ms each, at ${concurrency} in flight), full`, opsText(full.ops, full.count)],
    [`${channel}: DB operations per send, baseline`, opsText(sumOps([a, b]), baseCount)],
    [`${channel}: CPU ms per send, full; baseline`, `${cpuText([full])}; ${cpuText([a, b])}`],
    [`${channel}: CPU used, full; baseline A + A′`, `${cpuTotals(full)}; ${cpuTotals(a)} + ${cpuTotals(b)}`],
    [`${channel}: ledger rows during the full path`, `${fmt.n(full.ledgerRows[0])} → ${fmt.n(full.ledgerRows[1])}`],
  ];
}

// ---------------------------------------------------------------------------------------------
// Database command monitoring.

class OpMonitor {
  private pending = new Map<number, string>();
  private counts: Record<string, { n: number; ms: number }> = {};
  private started = new Map<number, number>();
  /** While set, each command's name and its start and end (performance.now()). */
  trace?: { name: string; start: number; end: number }[];

  constructor(readonly db: Database) {
    const client = db.connection.getClient();
    client.on('commandStarted', (e: mongo.CommandStartedEvent) => {
      const target = e.command[e.commandName];
      this.pending.set(e.requestId, typeof target === 'string' ? `${e.commandName} ${target}` : e.commandName);
      this.started.set(e.requestId, performance.now());
    });
    const finished = (e: mongo.CommandSucceededEvent | mongo.CommandFailedEvent) => {
      const key = this.pending.get(e.requestId);
      if (key === undefined) return;
      this.pending.delete(e.requestId);
      this.trace?.push({ name: key, start: this.started.get(e.requestId)!, end: performance.now() });
      this.started.delete(e.requestId);
      const entry = (this.counts[key] ??= { n: 0, ms: 0 });
      entry.n++;
      entry.ms += e.duration;
    };
    client.on('commandSucceeded', finished);
    client.on('commandFailed', finished);
  }

  reset(): void {
    this.counts = {};
  }

  snapshot(): Record<string, { n: number; ms: number }> {
    return structuredClone(this.counts);
  }
}

// ---------------------------------------------------------------------------------------------
// The SMTP sink, in a child process of its own.

interface SinkMail {
  messageId?: string;
  to: string[];
  subject?: string;
  journeyHeader: boolean;
}

interface SinkHandle {
  pid: number;
  port: number;
  /** The mail received since the last take. */
  take(): Promise<SinkMail[]>;
}

type ParentMessage = { type: 'take'; id: number } | { type: 'stop' };
type ChildMessage = { type: 'ready'; port: number } | { type: 'mail'; id: number; mails: SinkMail[] };

function runSinkChild(): void {
  startSmtpSink().then(
    (sink) => {
      const stop = () => void sink.close().finally(() => process.exit(0));
      process.on('message', (message: ParentMessage) => {
        if (message.type === 'stop') return stop();
        const mails = sink.messages.splice(0).map((m) => ({
          messageId: m.messageId,
          to: m.to,
          subject: m.subject,
          journeyHeader: m.headers['x-cairn-journey'] === JOURNEY,
        }));
        process.send!({ type: 'mail', id: message.id, mails } satisfies ChildMessage);
      });
      process.on('disconnect', stop);
      process.send!({ type: 'ready', port: sink.port } satisfies ChildMessage);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

async function startSinkChild(bench: Bench): Promise<SinkHandle> {
  const child: ChildProcess = fork(__filename, [SINK_ARG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  bench.onCleanup('SMTP sink', async () => {
    if (child.exitCode === null && child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
    if (!stopped) child.kill('SIGKILL');
  });
  const waiting = new Map<number, (mails: SinkMail[]) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SMTP sink process exited (${code}) before it was ready`)));
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve(message.port);
      else waiting.get(message.id)?.(message.mails);
    });
  });
  return {
    pid: child.pid!,
    port,
    take: () =>
      new Promise<SinkMail[]>((resolve) => {
        const id = nextId++;
        waiting.set(id, (mails) => {
          waiting.delete(id);
          resolve(mails);
        });
        child.send({ type: 'take', id } satisfies ParentMessage);
      }),
  };
}
