// What a subcommand is: its name, its options (node:util parseArgs), its help, and a run that
// answers an exit code. cairn.ts parses the arguments and dispatches; each command is a
// module of cli/commands/, listed in cli/commands/index.ts.
import type { ParseArgsConfig } from 'node:util';
import { formatProblem, isError, type Problem } from './problems';

export interface Io {
  /** Results: the plan, what was done. */
  out(line: string): void;
  /** Problems and errors. */
  err(line: string): void;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandArgs {
  positionals: string[];
  values: OptionValues;
  env: NodeJS.ProcessEnv;
}

export interface Command {
  name: string;
  summary: string;
  /** "cairn diff <dir> [options]" */
  usage: string;
  /** What it does and how it exits, shown by --help. */
  description: string[];
  options: NonNullable<ParseArgsConfig['options']>;
  /** One line per option, for --help. */
  optionHelp: string[];
  /** How many positional arguments it takes. */
  positionals: number;
  run(args: CommandArgs, io: Io): Promise<number>;
}

export const EXIT = {
  ok: 0,
  /** Invalid files, a refused change, an unreachable server. */
  failed: 1,
  usage: 2,
  /** diff --exit-code: the server differs from the folder. */
  changes: 3,
} as const;

/** Wrong arguments or setup: printed with the command's usage, exit 2. */
export class UsageError extends Error {}

/** Prints problems by file and line (files under `dir`); answers the number of errors among them. */
export function reportProblems(io: Io, problems: readonly Problem[], dir = ''): number {
  const sorted = [...problems].sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  for (const problem of sorted) io.err(formatProblem(problem, dir));
  return problems.filter(isError).length;
}

/** "1 file", "7 files". */
export const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
