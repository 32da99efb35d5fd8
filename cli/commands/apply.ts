import { EXIT, plural, type Command } from '../command';
import { applyPlan } from '../apply-plan';
import { planFor } from '../compare';
import { CONNECTION_HELP, CONNECTION_OPTIONS } from '../connection';
import { describeStep, formatPlan } from '../plan-output';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'make the server match the folder',
  usage: 'cairn apply <dir> [--prune] [--api-url URL] [--api-key KEY]',
  description: [
    'Plans as diff does, then writes through the API in order: settings, templates, segments, journeys,',
    'then deletions. A journey is published as a new version only when its definition differs from the',
    'published one; a resource that matches is not written, so applying twice changes nothing the second',
    'time. Nothing is written while a file is invalid or a step cannot be applied. Server resources the',
    'folder lacks are left alone unless --prune (templates and segments no journey uses; journeys are never',
    'deleted). Exits 0, or 1 when nothing could be planned or the API refused a step (what was done before',
    'it stays done; apply again once fixed).',
  ],
  options: { prune: { type: 'boolean' }, ...CONNECTION_OPTIONS },
  optionHelp: ['--prune          delete the templates and segments the folder lacks (refused while a journey uses one)', ...CONNECTION_HELP],
  positionals: 1,
  async run(args, io) {
    const planned = await planFor(args, io);
    if (!planned) return EXIT.failed;
    const { api, plan, prune } = planned;
    const blocked = plan.steps.filter((s) => s.problem);
    if (blocked.length > 0) {
      for (const step of blocked) io.err(describeStep(step));
      io.err('Nothing was applied.');
      return EXIT.failed;
    }
    if (plan.steps.length === 0) {
      formatPlan(plan, { prune }).forEach((line) => io.out(line));
      return EXIT.ok;
    }
    const result = await applyPlan(api, plan, args.positionals[0], io.out);
    if (result.failure) {
      for (const line of result.failure) io.err(line);
      io.err(`Stopped after ${result.done.length} of ${plan.steps.length} changes; apply again once fixed.`);
      return EXIT.failed;
    }
    io.out(`Applied ${plural(result.done.length, 'change')}; ${plan.unchanged} unchanged.`);
    return EXIT.ok;
  },
};
