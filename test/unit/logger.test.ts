// The logger writes JSON lines, the Temporal SDK's lines reach it with their metadata, and the
// server code logs through it rather than the console.
import { Writable } from 'node:stream';
import { journeyWorkflowId } from '../../core/ids';
import { createLogger, temporalLogger } from '../../lib/logger';
import { readSource, sourceFiles as sources } from '../support/source-files';

/** A logger at `level` whose lines are collected, parsed. */
function capture(level: Parameters<typeof createLogger>[0]) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: createLogger(level, destination), lines };
}

describe('temporalLogger', () => {
  it('when the SDK logs for a journey run, then the line has the level name, the metadata, and the journey and customer of the workflow ID, without the task token', () => {
    const { logger, lines } = capture('info');
    const workflowId = journeyWorkflowId('welcome', 'ada');
    temporalLogger(logger).info('Activity completed', { workflowId, activityType: 'send', attempt: 1, taskToken: 'dG9rZW4=' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', msg: 'Activity completed', workflowId, journeyId: 'welcome', customerId: 'ada', activityType: 'send', attempt: 1 }),
    ]);
    expect(lines[0]).not.toHaveProperty('taskToken');
    expect(Date.parse(lines[0].time as string)).not.toBeNaN();
  });

  it('when the SDK logs below the level, then nothing is written; at or above it, the level name is kept', () => {
    const { logger, lines } = capture('warn');
    const sdk = temporalLogger(logger);
    sdk.debug('Workflow started');
    sdk.info('Activity started');
    sdk.log('WARN', 'slow poll');
    sdk.error('Activity failed', { error: new Error('provider down') });
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ['warn', 'slow poll'],
      ['error', 'Activity failed'],
    ]);
    // The SDK passes failures as `error`: serialised with their message and stack, not as {}.
    expect(lines[1].error).toEqual(expect.objectContaining({ message: 'provider down', stack: expect.stringContaining('provider down') }));
  });

  it('when the SDK says at start what is true of every Cairn worker, then it is debug, not a warning', () => {
    const { logger, lines } = capture('info');
    temporalLogger(logger).warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'cairn-journeys.send.email' });
    temporalLogger(logger).info('No Nexus services registered, not polling for Nexus tasks');
    temporalLogger(logger).warn('Slow poll');
    expect(lines.map((line) => [line.level, line.msg])).toEqual([['warn', 'Slow poll']]);
  });

  it('when a line names another workflow, then no journey or customer is added', () => {
    const { logger, lines } = capture('info');
    temporalLogger(logger).info('Workflow completed', { workflowId: 'launch:welcome:vips' });
    expect(lines[0]).not.toHaveProperty('journeyId');
    expect(lines[0]).not.toHaveProperty('customerId');
  });
});


test('when the server code is read, then api/, lib/, activities/ and workers/ log through lib/logger.ts, never the console', () => {
  const files = ['api', 'lib', 'activities', 'workers'].flatMap(sources);
  expect(files.length).toBeGreaterThan(40);
  const calls = files.flatMap((file) =>
    readSource(file)
      .split('\n')
      .flatMap((line, i) => (/\bconsole\s*\.\s*\w+/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  expect(calls).toEqual([]);
});
