// The trial-expiry type's declaration (its code: workflows/code-first/trial-expiry.ts).
import { z } from 'zod';
import { defineCodeJourney } from '../code-journey-type';
import { durationSchema, offsetSchema } from '../journey-steps';

export const trialExpiry = defineCodeJourney({
  id: 'trial-expiry',
  workflowType: 'trialExpiryWorkflow',
  description:
    'Trial started email; before trialEndsAt, customers not yet paying get an SMS (web inbox if no phone), then a push unless they upgrade',
  input: z
    .object({
      /** When the reminder goes, from the customer's `trialEndsAt`: "-2d" is two days before. */
      remindBefore: offsetSchema.default('-2d'),
      /** How long after the reminder an upgrade still spares the customer the last push. */
      upgradeWithin: durationSchema.default('1d'),
    })
    .strict(),
  // Live once launched without customers: each customer enters when their trial starts.
  entry: { type: 'event', event: 'trial_started' },
  settings: {
    // Texts and pushes wait for the morning, in the customer's time zone.
    quietHours: { start: '21:00', end: '08:00' },
    // Converted: an upgrade within a month of entering.
    goal: { event: 'upgraded', within: '30d' },
    exitOnEvent: 'account_deleted',
  },
  steps: ['trial-started', 'before-trial-ends', 'paying', 'reminder', 'upgrade', 'last-chance'],
  waitsFor: ['upgraded'],
  templates: ['trial-started', 'trial-ending-sms', 'trial-ending-web', 'trial-last-chance'],
  segments: ['paying'],
});
