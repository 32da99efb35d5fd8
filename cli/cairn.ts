#!/usr/bin/env node
// The `cairn` command: journeys, templates, segments and settings kept as files and applied
// to a Cairn server through its HTTP API. Parses the arguments (node:util parseArgs) and runs
// one of cli/commands/.
import { parseArgs } from 'node:util';
import { ApiError, ConnectionError } from './api-client';
import { EXIT, plural, UsageError, type Command, type Io } from './command';
import { COMMANDS } from './commands';
import { NotAFolder } from './folder';

function overview(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: cairn <command> [options]',
    '',
    'Keeps templates, segments, journeys and settings as YAML or JSON files and applies them to a',
    'Cairn server through its HTTP API (CAIRN_API_URL, CAIRN_API_KEY); new-journey writes a code-first',
    'journey type into a Cairn checkout.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'cairn <command> --help says more. Exit codes: 0 ok, 1 invalid files or a refused change, 2 usage,',
    '3 changes found (diff --exit-code).',
  ];
}

function commandHelp(command: Command): string[] {
  return [
    `Usage: ${command.usage}`,
    '',
    ...command.description,
    ...(command.optionHelp.length > 0 ? ['', 'Options:', ...command.optionHelp.map((line) => `  ${line}`)] : []),
  ];
}

export async function main(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const command = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    (command ? commandHelp(command) : overview()).forEach((line) => io.out(line));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`cairn: "${name}" is not a command`);
    overview().forEach((line) => io.err(line));
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      commandHelp(command).forEach((line) => io.out(line));
      return EXIT.ok;
    }
    if (positionals.length !== command.positionals) {
      throw new UsageError(`${command.name} takes ${plural(command.positionals, 'argument')}, not ${positionals.length}`);
    }
    return await command.run({ positionals, values, env }, io);
  } catch (err) {
    return reportFailure(err, command, io);
  }
}

function reportFailure(err: unknown, command: Command, io: Io): number {
  const usage = err instanceof UsageError || err instanceof NotAFolder || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  if (usage) {
    io.err(`cairn ${command.name}: ${(err as Error).message}`);
    io.err(`Usage: ${command.usage} (cairn ${command.name} --help says more)`);
    return EXIT.usage;
  }
  if (err instanceof ConnectionError) {
    io.err(`cairn ${command.name}: ${err.message}`);
    return EXIT.failed;
  }
  if (err instanceof ApiError) {
    io.err(`cairn ${command.name}: the API answered ${err.status}: ${err.message}`);
    for (const d of err.details) io.err(`  ${d.field ? `${d.field}: ` : ''}${d.message}`);
    return EXIT.failed;
  }
  throw err;
}

if (require.main === module) {
  // Output piped into a command that stops reading (`| head`) ends the CLI quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  const io: Io = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
  main(process.argv.slice(2), io, process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`cairn: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
