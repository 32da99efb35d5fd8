import { EXIT, plural, reportProblems, type Command } from '../command';
import { checkFolder } from '../compare';
import { isError } from '../problems';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a folder offline with the API’s own rules',
  usage: 'cairn validate <dir>',
  description: [
    'Checks every file of the folder without a server: YAML or JSON syntax, each document against the',
    'schema the API validates with, templates compiled as the API compiles them, journey graphs, and',
    'that the templates and segments journeys name are in the folder (a name that is not is a warning:',
    'it may exist on the server; diff and apply check it there). Exits 0 when no file has an error',
    '(warnings allowed), 1 otherwise.',
  ],
  options: {},
  optionHelp: [],
  positionals: 1,
  async run({ positionals: [dir] }, io) {
    const folder = checkFolder(dir);
    const errors = reportProblems(io, folder.problems, dir);
    const warnings = folder.problems.length - folder.problems.filter(isError).length;
    const counts = `${plural(folder.files, 'file')}, ${plural(folder.resources.length, 'resource')}`;
    const tally = [errors > 0 ? plural(errors, 'error') : '', warnings > 0 ? plural(warnings, 'warning') : ''].filter(Boolean).join(', ');
    io.out(`${dir}: ${counts}: ${errors > 0 ? 'invalid' : 'valid'}${tally ? ` (${tally})` : ''}`);
    return errors > 0 ? EXIT.failed : EXIT.ok;
  },
};
