// The one logger: pino writing JSON lines to stdout, and the adapter through which the Temporal
// SDK's own logs (worker, activity contexts, workflow `log`) reach it. `npm start` shows the
// lines readably (dev/servers.ts); everywhere else they stay JSON, one object a line.
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { journeyRunOf } from '../core/ids';

/** LOG_LEVEL's values: pino's levels, most verbose first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * Level names rather than numbers and ISO times, so lines read (and filter with jq) as the
 * README shows. Written synchronously by default: a crash loses no line.
 */
export function createLogger(level: LogLevelName = 'info', destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      level,
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The SDK passes failures as `error`; pino serialises only `err` unless told.
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination,
  );
}

/** The process's logger; its entry point sets `logger.level` from the configuration (LOG_LEVEL). */
export const logger = createLogger();

const LEVELS: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The Temporal SDK's Logger over pino, for `Runtime.install({ logger })`. The SDK's metadata
 * (workflowId, activityType, attempt...) become fields, with the journeyId and customerId that a
 * journey run's workflowId names, so every line of a run carries them.
 */
/**
 * What the SDK says at start about workers as Cairn builds them (the per-channel send workers run
 * activities only; nothing uses Nexus), and what Core says of the time-skipping test server each
 * journey simulation starts (it keeps no heartbeat details, which Cairn's sends do not use):
 * true of every start, so debug, not warnings to act on.
 */
const EXPECTED_AT_START = [
  'No workflows registered, not polling for workflow tasks',
  'No Nexus services registered, not polling for Nexus tasks',
  'Temporal Server 1.16.0 or newer is required to guarantee that the latest heartbeat details are preserved',
];

export function temporalLogger(base: Logger = logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    // The task token is long and says nothing the activity fields do not.
    const { taskToken, ...fields } = meta;
    const run = typeof fields.workflowId === 'string' ? journeyRunOf(fields.workflowId) : undefined;
    base[EXPECTED_AT_START.some((start) => message.startsWith(start)) ? 'debug' : LEVELS[level]]({ ...run, ...fields }, message);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
