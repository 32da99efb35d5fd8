// What `cairn new-journey` writes for a code-first journey type: the names it derives from the
// type's kebab-case ID, the contents of each new file, and the lines it adds to the registry
// (core/code-journeys.ts) and the worker's workflow list (workflows/index.ts). Pure: the
// command reads and writes the files. The starter is small but real: typed input with one
// field, a send, a wait and a waitForEvent with a timeout, its templates, a workflow test on
// the time-skipping server and replay scenarios, all of which pass as written.

/** A type's ID: lower-case words joined by "-", as the examples' ("trial-expiry"). */
export const JOURNEY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_NAME = 60;

/** Identifiers the generated files use themselves, and JavaScript's reserved words: a type named so would not compile. */
const TAKEN = new Set(
  (
    'input run kit came env runJourney DAY sends activities worker taskQueue started result handle days name drive sleep customerId launchInput s JourneyKit CodeJourneyInput JourneyRunResult defineCodeJourney durationSchema ' +
    'journeyWorkflowId customerEventSignal journeyStateQuery startSearchAttributes toTheEnd scenario scenarios journeyWorker ' +
    'startTimeSkipping CodeJourneyType CODE_JOURNEYS TYPES Scenario Activities SendInput TestWorkflowEnvironment WorkflowHandle ' +
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'implements import in instanceof interface let new null package private protected public return static super switch this ' +
    'throw true try typeof var void while with yield await async of arguments eval undefined'
  ).split(' '),
);

export interface JourneyNames {
  /** The journey ID and file base name: "win-back". */
  id: string;
  /** The declaration's constant: "winBack". */
  constant: string;
  /** The workflow function, the workflow type: "winBackWorkflow". */
  workflow: string;
  /** The event its waitForEvent waits for (and its goal). */
  event: string;
}

/** Why the name cannot be a type's, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (!JOURNEY_NAME.test(name)) {
    return `"${name}" is not a kebab-case name: lower-case letters and digits in words joined by "-", starting with a letter (such as "win-back")`;
  }
  if (name.length > MAX_NAME) return `"${name}" is longer than ${MAX_NAME} characters`;
  if (TAKEN.has(camelCase(name))) return `"${name}" would name its declaration "${camelCase(name)}", a name the generated code uses already: choose another`;
  return undefined;
}

const camelCase = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function journeyNames(id: string, event: string): JourneyNames {
  const constant = camelCase(id);
  return { id, constant, workflow: `${constant}Workflow`, event };
}

/** The new files, by path from the repository's root. */
export function scaffoldFiles(n: JourneyNames): Record<string, string> {
  return {
    [declarationPath(n)]: declaration(n),
    [`workflows/code-first/${n.id}.ts`]: workflow(n),
    [`test/workflow/${n.id}.test.ts`]: workflowTest(n),
    [`test/replay/scenarios/${n.id}.ts`]: replayScenarios(n),
    [`templates/${n.id}-first.json`]: template(`Hi {{customer.firstName}}, a first word from ${n.id}`, `Hi {{customer.firstName}},\n\nThis is the first message of the ${n.id} journey.\n`),
    [`templates/${n.id}-reminder.json`]: template(`A reminder, {{customer.firstName}}`, `Hi {{customer.firstName}},\n\nA reminder from the ${n.id} journey.\n`),
  };
}

export const declarationPath = (n: Pick<JourneyNames, 'id'>) => `core/code-journey-types/${n.id}.ts`;

/** The histories the replay scenarios record (test/replay/histories/<name>.json). */
export const scenarioNames = (n: Pick<JourneyNames, 'id'>) => [`${n.id}-no-event`, `${n.id}-event-came`];

export const REGISTRY = 'core/code-journeys.ts';
export const WORKFLOW_INDEX = 'workflows/index.ts';

/** The registry's text with the type registered: its import after the others, its line at the end of the list. */
export function registerType(text: string, n: JourneyNames): string {
  const lines = text.split('\n');
  const lastImport = findLastIndex(lines, (l) => /^import \{ \w+ \} from '\.\/code-journey-types\/[\w-]+';$/.test(l));
  const listStart = lines.findIndex((l) => /^const TYPES\b.*= \[$/.test(l));
  const listEnd = listStart < 0 ? -1 : lines.findIndex((l, i) => i > listStart && l === '];');
  if (lastImport < 0 || listEnd < 0) {
    throw new RegistryChanged(
      `${REGISTRY} has no longer the shape the generator edits (imports from './code-journey-types/...' and a "const TYPES ... = [" list closed by "];"); add by hand: import { ${n.constant} } from './code-journey-types/${n.id}'; and ${n.constant} in the list`,
    );
  }
  lines.splice(listEnd, 0, `  ${n.constant},`);
  lines.splice(lastImport + 1, 0, `import { ${n.constant} } from './code-journey-types/${n.id}';`);
  return lines.join('\n');
}

/** The workflow list's text with the type's workflow exported, after the other code-first ones. */
export function exportWorkflow(text: string, n: JourneyNames): string {
  const lines = text.replace(/\n*$/, '').split('\n');
  const last = findLastIndex(lines, (l) => /^export \{ \w+ \} from '\.\/code-first\/[\w-]+';$/.test(l));
  lines.splice(last < 0 ? lines.length : last + 1, 0, `export { ${n.workflow} } from './code-first/${n.id}';`);
  return `${lines.join('\n')}\n`;
}

/** The registry or the workflow list no longer has the shape the generator edits. */
export class RegistryChanged extends Error {}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i]!)) return i;
  return -1;
}

const STEPS = ['first-email', 'a-day-later', 'waiting-for-event', 'reminder'] as const;

function declaration(n: JourneyNames): string {
  return `// The ${n.id} type's declaration (its code: workflows/code-first/${n.id}.ts). Written by
// \`cairn new-journey\` as a starter: docs/code-first-journeys.md says what each field does.
import { z } from 'zod';
import { defineCodeJourney } from '../code-journey-type';
import { durationSchema } from '../journey-steps';

export const ${n.constant} = defineCodeJourney({
  id: '${n.id}',
  workflowType: '${n.workflow}',
  description: 'An email at once; a day later, a wait for the ${n.event} event, and a reminder email if it does not come in time',
  input: z
    .object({
      /** How long the journey waits for the ${n.event} event before the reminder goes. */
      reminderAfter: durationSchema.default('3d'),
    })
    .strict(),
  // Converted: a ${n.event} event within two weeks of entering.
  settings: { goal: { event: '${n.event}', within: '14d' } },
  steps: [${STEPS.map((s) => `'${s}'`).join(', ')}],
  waitsFor: ['${n.event}'],
});
`;
}

function workflow(n: JourneyNames): string {
  return `// The ${n.id} journey, written by \`cairn new-journey\` as a starter: the first email at once, a
// day's wait, then up to \`reminderAfter\` (the launch's input) for the ${n.event} event, and a
// reminder email if it does not come. Declaration (input, settings, steps):
// core/code-journey-types/${n.id}.ts. Templates: templates/${n.id}-*.json.
import { ${n.constant} } from '../../core/code-journey-types/${n.id}';
import type { JourneyRunResult } from '../../core/journey-contract';
import { type CodeJourneyInput, JourneyKit } from './kit';

export async function ${n.workflow}({ input, ...run }: CodeJourneyInput<typeof ${n.constant}>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(${n.constant}, run);

  await kit.send('first-email', 'email', '${n.id}-first');
  await kit.wait('a-day-later', '1d');
  const came = await kit.waitForEvent('waiting-for-event', '${n.event}', input.reminderAfter);
  if (!came) await kit.send('reminder', 'email', '${n.id}-reminder');
  return kit.finish();
}
`;
}

function workflowTest(n: JourneyNames): string {
  return `// The ${n.id} journey (workflows/code-first/${n.id}.ts) under the time-skipping server, with
// typed fake sends: its days pass in milliseconds. Written by \`cairn new-journey\`; change it
// with the journey.
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, SendInput } from '../../activities';
import { ${n.constant} } from '../../core/code-journey-types/${n.id}';
import { journeyWorkflowId } from '../../core/ids';
import { customerEventSignal, journeyStateQuery } from '../../core/journey-contract';
import { ${n.workflow} } from '../../workflows/code-first/${n.id}';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

/** Runs the journey for a customer with the launch's input (as the API's schema outputs it); \`drive\` acts on the run meanwhile. */
async function runJourney(customerId: string, launchInput: object = {}, drive?: (handle: WorkflowHandle<typeof ${n.workflow}>) => Promise<void>) {
  const sends: SendInput[] = [];
  const activities: Partial<Activities> = {
    async send(input) {
      sends.push(input);
      return { status: 'sent', messageId: input.key, channel: input.via };
    },
  };
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const started = await env.currentTimeMs();
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(${n.workflow}, {
      workflowId: journeyWorkflowId(${n.constant}.id, customerId),
      taskQueue,
      args: [{ customerId, entry: 1, input: ${n.constant}.input.parse(launchInput) }],
    });
    await drive?.(handle);
    return handle.result();
  });
  return { result, sends, days: ((await env.currentTimeMs()) - started) / DAY };
}

test('when the ${n.event} event never comes, then the customer gets the first email and, after a day and the three days waited, the reminder', async () => {
  const { result, sends, days } = await runJourney('no-event');
  expect(sends.map((s) => \`\${s.stepId}:\${s.channel}:\${s.templateId}\`)).toEqual(['first-email:email:${n.id}-first', 'reminder:email:${n.id}-reminder']);
  expect(result).toMatchObject({ status: 'completed', path: [...${n.constant}.steps] });
  expect(result.converted).toBeUndefined();
  expect(days).toBeGreaterThanOrEqual(4);
});

test('when the ${n.event} event comes while the journey waits for it, then no reminder goes and the run counts a conversion', async () => {
  const { result, sends } = await runJourney('event-came', {}, async (handle) => {
    // The server's clock moves only while a test waits on it: an hour at a time up to the wait.
    while ((await handle.query(journeyStateQuery)).currentStep !== 'waiting-for-event') await env.sleep('1h');
    await handle.signal(customerEventSignal, { id: 'e1', name: '${n.event}', timestamp: new Date().toISOString() });
  });
  expect(sends.map((s) => s.stepId)).toEqual(['first-email']);
  expect(result).toMatchObject({ status: 'completed', path: ['first-email', 'a-day-later', 'waiting-for-event'], converted: { eventId: 'e1' } });
});

test('when the launch gives reminderAfter, then the reminder goes that long after the day\\'s wait', async () => {
  const { sends, days } = await runJourney('sooner', { reminderAfter: '6h' });
  expect(sends.map((s) => s.stepId)).toEqual(['first-email', 'reminder']);
  expect(days).toBeGreaterThanOrEqual(1.25);
  expect(days).toBeLessThan(4);
});

test('when the launch gives a reminderAfter that is no duration, then the schema refuses it', () => {
  expect(${n.constant}.input.safeParse({ reminderAfter: 'soon' }).error?.issues[0]?.path).toEqual(['reminderAfter']);
});
`;
}

function replayScenarios(n: JourneyNames): string {
  const [noEvent, eventCame] = scenarioNames(n);
  return `// Scenarios of the ${n.id} type (workflows/code-first/${n.id}.ts), written by \`cairn
// new-journey\`: recorded by \`npm run record-histories\` into test/replay/histories/, replayed by
// test/replay/replay.test.ts. Add one when the journey's shape changes.
import { ${n.constant} } from '../../../core/code-journey-types/${n.id}';
import { journeyWorkflowId } from '../../../core/ids';
import { customerEventSignal, journeyStateQuery, startSearchAttributes } from '../../../core/journey-contract';
import { ${n.workflow} } from '../../../workflows/code-first/${n.id}';
import { type Scenario, toTheEnd } from '../scenario';

function scenario(name: string, drive: Scenario<typeof ${n.workflow}>['drive']): Scenario<typeof ${n.workflow}> {
  return {
    name,
    workflow: ${n.workflow},
    workflowId: journeyWorkflowId(${n.constant}.id, name),
    args: [{ customerId: name, entry: 1, input: ${n.constant}.input.parse({}) }],
    searchAttributes: startSearchAttributes(${n.constant}.id, name),
    drive,
  };
}

export const scenarios: Scenario<typeof ${n.workflow}>[] = [
  // The first email, the day's wait, no ${n.event} event, the reminder.
  scenario('${noEvent}', toTheEnd),
  scenario('${eventCame}', async (handle, sleep) => {
    while ((await handle.query(journeyStateQuery)).currentStep !== 'waiting-for-event') await sleep('1h');
    await handle.signal(customerEventSignal, { id: 'e1', name: '${n.event}', timestamp: new Date().toISOString() });
    await handle.result();
  }),
];
`;
}

function template(subject: string, text: string): string {
  return `${JSON.stringify({ channel: 'email', content: { subject, text } }, null, 2)}\n`;
}
