// The checks and the comparison `validate`, `diff` and `apply` share: a folder checked
// offline, then against what the server holds.
import type { ApiClient } from './api-client';
import { reportProblems, type CommandArgs, type Io } from './command';
import { connect } from './connection';
import { loadFolder, type Folder } from './folder';
import { preflightJourneys } from './journey-preflight';
import { planChanges, type Plan } from './plan';
import { isError, type Problem } from './problems';
import { knownInFolder, referenceProblems, type Known } from './references';
import { readServerState } from './server-state';

/** The folder with every problem an offline check finds (names it lacks are warnings). */
export function checkFolder(dir: string): Folder {
  const folder = loadFolder(dir);
  folder.problems.push(...referenceProblems(folder.resources, knownInFolder(folder.resources), 'warning'));
  return folder;
}

export interface Comparison {
  folder: Folder;
  /** Absent when the folder has errors: the server is not read then. */
  plan?: Plan;
  problems: Problem[];
}

/** Checks the folder, reads the server, and plans; names found in neither are errors. */
export async function compareWithServer(dir: string, api: ApiClient, options: { prune: boolean }): Promise<Comparison> {
  const folder = loadFolder(dir);
  if (folder.problems.some(isError)) return { folder, problems: folder.problems };
  const server = await readServerState(api, folder.resources, options);
  const local = knownInFolder(folder.resources);
  const known: Known = {
    templates: new Map([...server.templates.map((t) => [t.id, t.channel] as const), ...local.templates]),
    segments: new Set([...server.segments, ...local.segments]),
    where: 'the folder or on the server',
  };
  const problems = [...folder.problems, ...referenceProblems(folder.resources, known, 'error')];
  const plan = planChanges(folder.resources, server, options);
  if (!problems.some(isError)) problems.push(...(await preflightJourneys(api, plan, folder.resources)));
  return { folder, plan, problems };
}

/**
 * diff's and apply's start: connect, check, read and plan for `<dir> [--prune]`, printing the
 * problems; undefined when an error leaves nothing to do.
 */
export async function planFor(args: CommandArgs, io: Io): Promise<{ api: ApiClient; plan: Plan; prune: boolean } | undefined> {
  const api = connect(args);
  const prune = args.values.prune === true;
  const { plan, problems } = await compareWithServer(args.positionals[0], api, { prune });
  const errors = reportProblems(io, problems, args.positionals[0]);
  return plan && errors === 0 ? { api, plan, prune } : undefined;
}
