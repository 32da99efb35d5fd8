// How `npm start` shows the API's and the worker's JSON log lines in the terminal: made readable
// by pino-pretty, one line each (an error's stack aside). Any other line passes as it is.
// Only this dev runner does it; the processes themselves always write JSON.
import { prettyFactory } from 'pino-pretty';

const pretty = prettyFactory({
  colorize: Boolean(process.stdout.isTTY),
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  // Fields a terminal reader does not need; the JSON keeps them.
  ignore: 'pid,hostname,namespace,runId,workflowRunId,isLocal,activityId',
});

/** A line of a child's output as the terminal shows it, each of its lines after `prefix`. */
export function prettyLine(prefix: string, line: string): string {
  return pretty(line)
    .trimEnd()
    .split('\n')
    .map((part) => `${prefix} ${part}`)
    .join('\n');
}
