// Optimizing splits end to end on the real stack: the journey's checks (400s and the segment's
// 409), the worker's optimizer counting the real dev server's visibility, conversions through
// event ingest, and the stats that report each path.
import { journeyStateQuery } from '../../core/journey-contract';
import { wilsonInterval } from '../../core/split-optimize';
import { optimizingSplit } from '../support/journeys';
import { eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('split-optimize');
});
afterAll(async () => {
  await stack?.close();
});

const JOURNEY = 'opt-subjects';
const definition = (optimize: Record<string, unknown>) => optimizingSplit(optimize, { templates: ['opt-plain', 'opt-emoji'] });

test('when an optimizing split names a missing segment or leaves no room above its floors, then saving answers 400 naming the field', async () => {
  await stack.api('PUT', '/v1/templates/opt-plain', { channel: 'email', content: { subject: 'Our new range', text: 'Have a look.' } });
  await stack.api('PUT', '/v1/templates/opt-emoji', { channel: 'email', content: { subject: '🔥 Our new range', text: 'Have a look.' } });
  const missing = await stack.api('PUT', `/v1/journeys/opt-invalid`, definition({ goal: 'purchase', within: '3d', segments: ['opt-nobody'] }));
  expect(missing.status).toBe(400);
  expect(JSON.stringify(missing.body)).toContain('steps[0].optimize.segments[0]');
  expect(JSON.stringify(missing.body)).toContain('opt-nobody');
  const floors = await stack.api('PUT', `/v1/journeys/opt-invalid`, definition({ goal: 'purchase', within: '3d', minShare: 0.5 }));
  expect(floors.status).toBe(400);
  expect(JSON.stringify(floors.body)).toContain('minShare');
  const long = await stack.api('PUT', `/v1/journeys/opt-invalid`, definition({ goal: 'purchase', within: '31d' }));
  expect(long.status).toBe(400);
  expect(JSON.stringify(long.body)).toContain('at most 30d');
  expect((await stack.api('GET', '/v1/journeys/opt-invalid')).status).toBe(404);
});

test('when customers convert on one path only, then the stats report each path and segment: entries, settled, conversions, rate, interval and P(best)', async () => {
  await stack.api('PUT', '/v1/templates/opt-plain', { channel: 'email', content: { subject: 'Our new range', text: 'Have a look.' } });
  await stack.api('PUT', '/v1/templates/opt-emoji', { channel: 'email', content: { subject: '🔥 Our new range', text: 'Have a look.' } });
  await stack.api('PUT', '/v1/segments/opt-vip', { name: 'VIP', rule: { attribute: 'plan', op: 'eq', value: 'vip' } });
  const saved = await stack.api('PUT', `/v1/journeys/${JOURNEY}`, definition({ goal: 'opt_purchase', within: '15s', segments: ['opt-vip'] }));
  expect(saved.status).toBe(201);
  // The segment is in use: deleting it is refused, as for a branch's.
  expect((await stack.api('DELETE', '/v1/segments/opt-vip')).status).toBe(409);

  const vips = ['opt-v1', 'opt-v2', 'opt-v3', 'opt-v4'];
  const others = Array.from({ length: 8 }, (_, i) => `opt-c${i}`);
  for (const id of vips) await stack.api('PUT', `/v1/customers/${id}`, { email: `${id}@example.test`, attributes: { plan: 'vip' } });
  for (const id of others) await stack.api('PUT', `/v1/customers/${id}`, { email: `${id}@example.test`, attributes: { plan: 'free' } });
  expect((await stack.api('POST', `/v1/journeys/${JOURNEY}/launch`, { customerIds: [...vips, ...others] })).status).toBe(202);

  const paths: Record<string, string> = {};
  for (const id of [...vips, ...others]) {
    const state = await eventually(async () => {
      const s = await stack.run(JOURNEY, id).query(journeyStateQuery);
      expect(s.trials?.subject).toBeDefined();
      return s;
    });
    paths[id] = state.trials!.subject.path;
    expect(state.trials!.subject.context).toBe(vips.includes(id) ? 'opt-vip' : 'everyone');
    if (paths[id] === 'plain') await stack.api('POST', '/v1/events', { id: `opt-buy-${id}`, customerId: id, name: 'opt_purchase' });
  }
  const on = (path: string, ids = [...vips, ...others]) => ids.filter((id) => paths[id] === path).length;

  // Every run ends once its window closes or it converts. A purchase posted after a loaded
  // machine let the window close does not count: conversions are read from the runs.
  const results = await Promise.all([...vips, ...others].map((id) => stack.run(JOURNEY, id).result()));
  const converted = new Set<string>();
  for (const [i, id] of [...vips, ...others].entries()) {
    expect(results[i].status).toBe('completed');
    expect(results[i].trials!.subject).toMatchObject({ path: paths[id], settled: true });
    if (results[i].trials!.subject.converted) converted.add(id);
  }
  for (const id of converted) expect(paths[id]).toBe('plain');
  const bought = (path: string, ids = [...vips, ...others]) => ids.filter((id) => paths[id] === path && converted.has(id)).length;

  const stats = await eventually(async () => {
    const res = await stack.api('GET', `/v1/journeys/${JOURNEY}/stats`);
    expect(res.status).toBe(200);
    expect(res.body.completed).toBe(12);
    expect(res.body.optimize.subject.paths.plain.settled + res.body.optimize.subject.paths.emoji.settled).toBe(12);
    return res.body;
  });
  const { subject } = stats.optimize;
  expect(subject).toMatchObject({ goal: 'opt_purchase', within: '15s' });
  expect(subject.paths.plain).toMatchObject({ entries: on('plain'), settled: on('plain'), conversions: bought('plain') });
  expect(subject.paths.emoji).toMatchObject({ entries: on('emoji'), settled: on('emoji'), conversions: 0 });
  expect(subject.paths.plain.conversionRate).toBe(on('plain') > 0 ? bought('plain') / on('plain') : null);
  expect(subject.paths.emoji.interval).toEqual(wilsonInterval(0, on('emoji')));
  expect(subject.paths.plain.interval).toEqual(wilsonInterval(bought('plain'), on('plain')));
  expect(subject.paths.plain.probabilityBest + subject.paths.emoji.probabilityBest).toBeCloseTo(1, 10);
  if (bought('plain') >= 3 && on('emoji') >= 3) expect(subject.paths.plain.probabilityBest).toBeGreaterThan(0.9);
  expect(subject.bySegment['opt-vip'].plain).toMatchObject({ entries: on('plain', vips), conversions: bought('plain', vips) });
  expect(subject.bySegment['opt-vip'].emoji).toMatchObject({ entries: on('emoji', vips), conversions: 0 });
  expect(subject.bySegment.everyone.plain).toMatchObject({ entries: on('plain', others), conversions: bought('plain', others) });
  expect(subject.bySegment.everyone.emoji).toMatchObject({ entries: on('emoji', others), settled: on('emoji', others) });
  // The split's ordinary counts agree.
  expect(stats.splits.subject).toEqual({ plain: on('plain'), emoji: on('emoji') });

  // A simulation picks by the real numbers and adds nothing to them.
  const sim = await stack.api('POST', `/v1/journeys/${JOURNEY}/simulate`, { customerId: others[1], horizon: '10s' });
  expect(sim.status).toBe(200);
  const split = sim.body.steps.find((step: { stepId: string }) => step.stepId === 'subject');
  expect(split.explanation).toContain('optimizer picked path');
  expect(sim.body.end).toMatchObject({ status: 'waiting' });
  expect(sim.body.end.explanation).toContain('listens for "opt_purchase"');
  expect((await stack.api('GET', `/v1/journeys/${JOURNEY}/stats`)).body.optimize).toEqual(stats.optimize);

  // Erasing a customer deletes their run; the stats keep what it counted.
  expect((await stack.api('DELETE', `/v1/customers/${vips[0]}`)).status).toBe(200);
  const after = await eventually(async () => {
    const res = await stack.api('GET', `/v1/journeys/${JOURNEY}/stats`);
    expect(res.body.entered).toBe(12);
    return res.body;
  });
  expect(after.optimize).toEqual(stats.optimize);
}, 120_000);
