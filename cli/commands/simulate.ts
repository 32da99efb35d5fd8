// `cairn simulate`: one call to POST /v1/journeys/{id}/simulate, and its answer printed. The
// API does the simulating; this only reads the files and shows the path it answers.
import { stringify } from 'yaml';
import { EXIT, reportProblems, stringOption, UsageError, type Command } from '../command';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from '../connection';
import { readSourceFile } from '../source-file';

/** A file's value; a file that cannot be read or parsed is reported and ends the command. */
function readValue(file: string, io: Parameters<Command['run']>[1]): unknown {
  const source = readSourceFile(process.cwd(), file);
  if ('value' in source) return source.value;
  reportProblems(io, [source]);
  return undefined;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'walk a customer through a journey on the server, without sending anything',
  usage: 'cairn simulate <journey> (--customer FILE | --customer-id ID) [--events FILE] [--horizon 30d] [--json]',
  description: [
    'Asks the API to simulate the journey as published (POST /v1/journeys/{id}/simulate) for a customer,',
    'given inline (a YAML or JSON file with the fields PUT /v1/customers/{id} takes) or stored (--customer-id),',
    'with the events the file lists ([{name, after: "2d", properties}], or {entryEvent: {properties}, events: [...]}',
    'where entryEvent is the event that enters the customer into an event-entry journey), and prints the',
    'path of steps it answers. Sends nothing and writes nothing. Exits 0, or 1 when the API refuses.',
  ],
  options: {
    customer: { type: 'string' },
    'customer-id': { type: 'string' },
    events: { type: 'string' },
    horizon: { type: 'string' },
    json: { type: 'boolean' },
    ...CONNECTION_OPTIONS,
  },
  optionHelp: [
    '--customer FILE     the customer, inline: YAML or JSON',
    '--customer-id ID    a stored customer instead',
    '--events FILE       the events the customer sends, each `after` a time from entry',
    '--horizon DURATION  how far ahead to simulate (the API’s default when absent)',
    '--json              print the answer as JSON rather than YAML',
    ...CONNECTION_HELP,
  ],
  positionals: 1,
  async run(args, io) {
    const [journeyId] = args.positionals;
    const customerFile = stringOption(args.values, 'customer');
    const customerId = stringOption(args.values, 'customer-id');
    if ((customerFile === undefined) === (customerId === undefined)) throw new UsageError('give either --customer FILE or --customer-id ID');
    const api = connect(args);
    const body: Record<string, unknown> = {};
    if (customerId !== undefined) body.customerId = customerId;
    else if ((body.customer = readValue(customerFile!, io)) === undefined) return EXIT.failed;
    const eventsFile = stringOption(args.values, 'events');
    if (eventsFile !== undefined) {
      const events = readValue(eventsFile, io);
      if (events === undefined) return EXIT.failed;
      // A list of events, or {entryEvent, events}: the entry event's properties (event-entry journeys) and the timeline.
      if (Array.isArray(events)) body.events = events;
      else {
        const { entryEvent, events: timeline } = (events ?? {}) as { entryEvent?: unknown; events?: unknown };
        if (entryEvent !== undefined) body.entryEvent = entryEvent;
        if (timeline !== undefined) body.events = timeline;
      }
    }
    const horizon = stringOption(args.values, 'horizon');
    if (horizon !== undefined) body.horizon = horizon;
    const { body: answer } = await api.request('POST', `/v1/journeys/${encodeURIComponent(journeyId)}/simulate`, body);
    io.out(args.values.json === true ? JSON.stringify(answer, null, 2) : stringify(answer).trimEnd());
    return EXIT.ok;
  },
};
