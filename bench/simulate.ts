// `npm run bench:simulate`: how long POST /v1/journeys/{id}/simulate takes for a 30-day journey
// with five sends (the simulator the route calls, lib/journey-simulation.ts), against a baseline
// measured in the same run on the same kind of host: the simulation of a journey of one exit
// step, which pays everything but the journey's own work (a test server and worker ready, the
// run started and ended, the answer assembled).
//
// Starts its own embedded store and seeds what the journey reads: its five templates, a cap
// rule (two emails a week) with one past send of the customer's, and the customer. The journey
// (simulatedOnboarding in test/support/journeys.ts, the one the integration test simulates)
// waits 6 h, waits up to 3 days for an order the timeline delivers on day 1, then sends on
// email, SMS and the web inbox across four weeks; quiet hours hold its first send. Each run measures, BENCH_SIMULATE_RUNS times
// (default 3), the journey and the baseline with a warm host (started ahead, as the API keeps
// one); the first simulation of the bench also starts its host on demand (cold). Every
// simulation's answer is checked (steps, outcomes): a wrong answer fails the bench.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import type { JourneyDefinition } from '../core/journey-definition';
import { unsubscribeUrl } from '../core/unsubscribe-links';
import { connectDatabase } from '../db/connect';
import { CAPS_SETTING, saveSetting } from '../db/settings';
import { BIN_DIR } from '../dev/servers';
import { createChannelAdapters } from '../lib/delivery-channels';
import { createJourneySimulator, type SimulationRequest, type SimulationResult } from '../lib/journey-simulation';
import { createSimulationHosts } from '../lib/simulation-hosts';
import { SIMULATED_ONBOARDING_TEMPLATES, simulatedOnboarding } from '../test/support/journeys';
import { envInt, fmt, log, quietLogger, report, type Row, runBench, timed } from './support';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SECRET = 'bench-signing-secret-0123456789abcdef';
const PUBLIC_URL = 'https://cairn.bench.example.test';
const runs = envInt('BENCH_SIMULATE_RUNS', 3);

const exitOnly: JourneyDefinition = { name: 'Baseline', steps: [{ id: 'done', type: 'exit' }] };

/** Fails the bench unless the answer is the journey's expected path and outcomes. */
function check(result: SimulationResult, expected: string[]): void {
  const got = result.steps.map((s) => (s.type === 'send' ? `${s.stepId}:${s.outcome}` : s.stepId));
  if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`unexpected simulation: ${JSON.stringify(got)} (expected ${JSON.stringify(expected)})`);
}
const JOURNEY_PATH = ['welcome:sent', 'settle', 'wait-order', 'thanks:skipped', 'two-days', 'tip:skipped', 'ten-days', 'inbox:sent', 'two-weeks', 'last:sent'];

runBench('simulate', 600, async (bench) => {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { forward: {} } } });
  const store = await bench.startMongoStore();
  const db = await connectDatabase(`${store.baseUri}/cairn_bench_simulate`);
  bench.onCleanup('store connection', () => db.close());
  log('bundling the workflows');
  const bundlePath = path.join(bench.dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger: quietLogger })).code);

  const now = Date.now();
  await db.models.templates.insertMany(Object.entries(SIMULATED_ONBOARDING_TEMPLATES).map(([_id, template]) => ({ _id, ...template })));
  await saveSetting(db.models.settings, CAPS_SETTING, { rules: [{ id: 'email-weekly', channels: ['email'], limit: 2, window: '7d' }] });
  await db.models.customers.create({ _id: 'ada', email: 'ada@example.test', phone: '+447700900123', timeZone: 'UTC', consent: { sms: false }, attributes: { firstName: 'Ada', plan: 'pro' } });
  await db.models.frequency.create({ _id: 'ada', held: { 'email-weekly': [{ t: now - DAY, k: 'journey:earlier:ada:1:mail:1' }] } });
  const customer = (await db.models.customers.findById('ada').lean())!;

  // The API's adapters, pointed nowhere: a simulation asks them only for addresses.
  const adapters = createChannelAdapters(db.models, {
    email: { smtpUrl: 'smtp://127.0.0.1:9', from: 'Bench <bench@example.test>', messageIdDomain: 'example.test' },
    sms: { accountSid: `AC${'0'.repeat(32)}`, authToken: 'bench', from: '+15005550006', apiUrl: 'http://127.0.0.1:9' },
    publicUrl: PUBLIC_URL,
    signingSecret: SECRET,
  });
  bench.onCleanup('channel adapters', () => adapters.close());
  const hosts = createSimulationHosts({ testServerPath: path.join(BIN_DIR, 'temporal-test-server'), workflowBundlePath: bundlePath, maxConcurrent: 1 });
  bench.onCleanup('simulation hosts', () => hosts.close());
  const simulate = createJourneySimulator({ models: db.models, adapters: adapters.channels, unsubscribeUrl: (c, j) => unsubscribeUrl(PUBLIC_URL, SECRET, c, j), hosts });

  const request = (definition: JourneyDefinition, journeyId: string): SimulationRequest => ({
    journeyId,
    version: 1,
    definition,
    customer,
    inline: false,
    events: [{ name: 'order_completed', afterMs: DAY + 6 * HOUR, properties: { orderId: 'A-17', total: 42 } }],
    horizonMs: 30 * DAY,
  });
  const measure = async (definition: JourneyDefinition, journeyId: string, expected: string[]) => {
    let result: SimulationResult | undefined;
    const seconds = await timed(async () => {
      result = await simulate(request(definition, journeyId));
    });
    check(result!, expected);
    return seconds;
  };

  log('first simulation, its host started on demand');
  const cold = await measure(simulatedOnboarding(Date.now()), 'onboarding', JOURNEY_PATH);
  const journey: number[] = [];
  const baseline: number[] = [];
  for (let run = 1; run <= runs; run++) {
    // Alternate which goes first, so drift weighs on both.
    const order = run % 2 === 1 ? (['journey', 'baseline'] as const) : (['baseline', 'journey'] as const);
    for (const which of order) {
      await hosts.warm();
      if (which === 'journey') journey.push(await measure(simulatedOnboarding(Date.now()), 'onboarding', JOURNEY_PATH));
      else baseline.push(await measure(exitOnly, 'baseline', ['done']));
    }
    log(`run ${run}: journey ${fmt.s(journey[journey.length - 1])}, baseline ${fmt.s(baseline[baseline.length - 1])}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const secs = (s: number) => `${s.toFixed(2)} s`;
  const rows: Row[] = [
    ['30-day journey, 5 sends, warm host (median of runs)', secs(median(journey))],
    ['each run', journey.map(secs).join(', ')],
    ['baseline: one exit step, warm host (median)', secs(median(baseline))],
    ['each run', baseline.map(secs).join(', ')],
    ['journey / baseline (medians)', fmt.ratio(median(journey) / median(baseline))],
    ['first simulation, host started on demand', secs(cold)],
    ['goal: under 5 s', median(journey) < 5 ? 'met' : 'not met'],
  ];
  report('simulate', `Journey simulation, 30 days and five sends, ${runs} runs`, rows, { journey, baseline, cold });
});
