// Builds the real dependencies of the activities: MongoDB models, the ledger, the channels.
import nodemailer from 'nodemailer';
import { createActivities } from '../activities';
import { createEmailChannel } from '../activities/channels/email';
import { createWebChannel } from '../activities/channels/web';
import { createDeliveryLedger } from '../activities/ledger';
import type { Database } from '../db/connect';
import type { Config } from '../lib/config';

export function createRealActivities(db: Database, email: Config['email']) {
  const transport = nodemailer.createTransport(email.smtpUrl);
  const activities = createActivities({
    models: db.models,
    ledger: createDeliveryLedger(db.models.deliveries),
    channels: {
      email: createEmailChannel(transport, email),
      web: createWebChannel(db.models.inbox),
    },
  });
  return { activities, close: () => transport.close() };
}
