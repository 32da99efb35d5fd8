// Builds the real dependencies of the activities: MongoDB models, the ledger, the channels,
// and a Temporal client for the activities that start journey runs.
import type { Client } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { createActivities } from '../activities';
import { createCapReserver } from '../activities/caps';
import { createEmailChannel } from '../activities/channels/email';
import { createWebChannel } from '../activities/channels/web';
import { createDeliveryLedger } from '../activities/ledger';
import { compileSegment } from '../core/segment-filter';
import { segmentRuleSchema } from '../core/segment-rules';
import type { Database } from '../db/connect';
import type { Config } from '../lib/config';
import { createJourneyRuns } from '../lib/journey-runs';
import { refreshedEvery } from '../lib/refreshed';

export function createRealActivities(db: Database, email: Config['email'], temporal: { client: Client; taskQueue: string }) {
  const transport = nodemailer.createTransport(email.smtpUrl);
  const activities = createActivities({
    models: db.models,
    ledger: createDeliveryLedger(db.models.deliveries),
    reserveCap: createCapReserver(db.models),
    // Read per journey at most every five seconds: the pause signal is the fast path; this
    // catches runs the signal missed, without a database read on every send.
    isPaused: refreshedEvery(5_000, async (journeyId: string) => (await db.models.journeys.findById(journeyId, { paused: 1 }).lean())?.paused === true),
    channels: {
      email: createEmailChannel(transport, email),
      web: createWebChannel(db.models.inbox),
    },
    runs: createJourneyRuns(temporal.client, temporal.taskQueue, db.models.journeyEntries),
    // The rule was validated when the segment was saved; parsing again refuses anything else.
    audienceFilter: (rule, asOf) => compileSegment(segmentRuleSchema.parse(rule), asOf),
  });
  return { activities, close: () => transport.close() };
}
