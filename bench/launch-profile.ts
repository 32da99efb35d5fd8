// Where a launch's time goes, for `bench:launch`: the latency of each workflow start (a client
// interceptor, so raw starts and the launch's are measured alike), the time inside the launch's
// activities, and the database commands they send (the driver's command monitoring).
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { mongo } from 'mongoose';
import type { Row } from './support';

type Tally = { n: number; ms: number };

export interface LaunchProfile {
  /** Names the phase that starts, commands and activities count towards from now on. */
  phase(name: string): void;
  /** Times every `client.workflow.start` of the client it is installed on. */
  readonly startTimer: WorkflowClientInterceptor;
  /** The activities, each call timed under its name. */
  timeActivities<T extends object>(activities: T): T;
  /** Times every command of the driver client (the URI needs `monitorCommands=true`). */
  watchCommands(client: mongo.MongoClient): void;
  /** Mean start latency of a phase, in ms. */
  startMs(phase: string): number;
  /** Report rows for the launch phase, whose wall time was `launchS`. */
  rows(launchPhase: string, launchS: number): Row[];
  snapshot(): Record<string, Record<string, Tally>>;
}

export function createLaunchProfile(): LaunchProfile {
  let current = 'set-up';
  const tallies: Record<string, Record<string, Tally>> = {};
  const add = (key: string, ms: number) => {
    const entry = ((tallies[current] ??= {})[key] ??= { n: 0, ms: 0 });
    entry.n += 1;
    entry.ms += ms;
  };
  const timed = async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      add(key, performance.now() - start);
    }
  };
  const get = (phase: string, key: string): Tally => tallies[phase]?.[key] ?? { n: 0, ms: 0 };

  return {
    phase(name) {
      current = name;
    },
    startTimer: { startWithDetails: (input, next) => timed('start', () => next(input)) },
    timeActivities(activities) {
      return Object.fromEntries(
        Object.entries(activities).map(([name, fn]) => [name, typeof fn === 'function' ? (...args: unknown[]) => timed(`activity ${name}`, () => fn(...args)) : fn]),
      ) as typeof activities;
    },
    watchCommands(client) {
      const pending = new Map<number, string>();
      client.on('commandStarted', (e) => {
        const target = e.commandName === 'getMore' ? e.command.collection : e.command[e.commandName];
        pending.set(e.requestId, typeof target === 'string' ? `${e.commandName} ${target}` : e.commandName);
      });
      const finished = (e: mongo.CommandSucceededEvent | mongo.CommandFailedEvent) => {
        const key = pending.get(e.requestId);
        if (key === undefined) return;
        pending.delete(e.requestId);
        add(`db ${key}`, e.duration);
      };
      client.on('commandSucceeded', finished);
      client.on('commandFailed', finished);
    },
    startMs(phase) {
      const t = get(phase, 'start');
      return t.n === 0 ? 0 : t.ms / t.n;
    },
    rows(launchPhase, launchS) {
      const launch = tallies[launchPhase] ?? {};
      const pages = get(launchPhase, 'activity enrollPage');
      const count = get(launchPhase, 'activity countAudience');
      const between = launchS * 1000 - pages.ms - count.ms;
      const db = Object.entries(launch)
        .filter(([key]) => key.startsWith('db '))
        .sort(([, a], [, b]) => b.ms - a.ms);
      const dbMs = db.reduce((sum, [, t]) => sum + t.ms, 0);
      const starts = get(launchPhase, 'start');
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      return [
        [
          'launch profile: counting; pages (activity time); between activities (workflow tasks, scheduling)',
          `${s(count.ms)}; ${s(pages.ms)} over ${pages.n} pages (${(pages.ms / Math.max(pages.n, 1) / 1000).toFixed(2)} s each); ${s(between)}`,
        ],
        [
          'launch profile: database commands during the launch (count, total time)',
          db.map(([key, t]) => `${key.slice(3)} ${t.n} × ${(t.ms / t.n).toFixed(1)} ms`).join(', ') + ` (total ${s(dbMs)})`,
        ],
        [
          'launch profile: starts (count, mean latency, sum ÷ 16 in flight)',
          `${starts.n} × ${(starts.ms / Math.max(starts.n, 1)).toFixed(0)} ms = ${s(starts.ms / 16)}`,
        ],
      ];
    },
    snapshot: () => structuredClone(tallies),
  };
}
