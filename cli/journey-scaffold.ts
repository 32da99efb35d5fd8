// What `cairn new-journey` writes for a code-first journey type: the names it derives from the
// type's kebab-case ID, each new file from its template in cli/scaffold/ (the checkout's own,
// so a starter always matches the kit it is written beside), and the lines it adds to the
// registry (core/code-journeys.ts) and the worker's workflow list (workflows/index.ts). Pure:
// the command reads and writes the files. The starter is small but real: typed input with one
// field, a send, a wait and a waitForEvent with a timeout, its templates, a workflow test on
// the time-skipping server and replay scenarios, all of which pass as written.

/** A type's ID: lower-case words joined by "-", as the examples' ("trial-expiry"). */
export const JOURNEY_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_NAME = 60;

/** Identifiers cli/scaffold/'s files use themselves, and JavaScript's reserved words: a type named so would not compile. */
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

/** Where the templates of the new files are, in the checkout. */
export const SCAFFOLD_DIR = 'cli/scaffold';

/** Each new file (by path from the checkout's root) and the template in cli/scaffold/ it is made from. */
function scaffoldTemplates(n: Pick<JourneyNames, 'id'>): Record<string, string> {
  return {
    [declarationPath(n)]: 'declaration.ts.tmpl',
    [`workflows/code-first/${n.id}.ts`]: 'workflow.ts.tmpl',
    [`test/workflow/${n.id}.test.ts`]: 'workflow-test.ts.tmpl',
    [`test/replay/scenarios/${n.id}.ts`]: 'replay-scenarios.ts.tmpl',
    [`templates/${n.id}-first.json`]: 'template-first.json.tmpl',
    [`templates/${n.id}-reminder.json`]: 'template-reminder.json.tmpl',
  };
}

/** The paths of the new files. */
export const scaffoldPaths = (n: Pick<JourneyNames, 'id'>) => Object.keys(scaffoldTemplates(n));

/**
 * The new files' contents, by path: each template (read by `read`, given its file name) with
 * its %PLACEHOLDERS% filled in; one it does not know is an error, not a file left with it.
 */
export function scaffoldFiles(n: JourneyNames, read: (template: string) => string): Record<string, string> {
  const [noEvent, eventCame] = scenarioNames(n);
  const values: Record<string, string> = { ID: n.id, CONSTANT: n.constant, WORKFLOW: n.workflow, EVENT: n.event, NO_EVENT_SCENARIO: noEvent!, EVENT_CAME_SCENARIO: eventCame! };
  return Object.fromEntries(
    Object.entries(scaffoldTemplates(n)).map(([file, template]) => [
      file,
      read(template).replace(/%([A-Z_]+)%/g, (whole, key: string) => {
        if (!(key in values)) throw new Error(`${SCAFFOLD_DIR}/${template}: unknown placeholder ${whole}`);
        return values[key]!;
      }),
    ]),
  );
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
