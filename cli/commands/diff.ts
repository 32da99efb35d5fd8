import { EXIT, type Command } from '../command';
import { planFor } from '../compare';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from '../connection';
import { formatPlan } from '../plan-output';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'show what apply would change on the server',
  usage: 'cairn diff <dir> [--prune] [--exit-code] [--api-url URL] [--api-key KEY]',
  description: [
    'Checks the folder, reads the server through the API, has the server check each journey it would',
    'publish, and lists each resource apply would create (+), change (~, with the fields that differ) or',
    'delete (-, with --prune). Writes nothing. Fields the server adds (timestamps, versions) are not',
    'compared. Exits 0, or 1 when a file is invalid, a name is found neither in the folder nor on the',
    'server, the server refuses a journey, or a change cannot be applied; with --exit-code, 3 when there',
    'are changes (for CI: "the server is out of date").',
  ],
  options: { prune: { type: 'boolean' }, 'exit-code': { type: 'boolean' }, ...CONNECTION_OPTIONS },
  optionHelp: [
    '--prune          also plan deleting the templates and segments the folder lacks',
    '--exit-code      exit 3 when the server differs from the folder',
    ...CONNECTION_HELP,
  ],
  positionals: 1,
  async run(args, io) {
    const planned = await planFor(args, io);
    if (!planned) return EXIT.failed;
    const { plan, prune } = planned;
    for (const line of formatPlan(plan, { prune })) io.out(line);
    if (plan.steps.some((s) => s.problem)) return EXIT.failed;
    return args.values['exit-code'] === true && plan.steps.length > 0 ? EXIT.changes : EXIT.ok;
  },
};
