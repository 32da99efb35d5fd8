// An example code-first journey: a trial coming to its end. The trial-started email goes at
// once; then, at `remindBefore` the customer's `trialEndsAt` (two days before, unless the launch
// says otherwise), customers already paying hear nothing more, and the others get a text (in
// the web inbox when they have no phone or opted out of texts); if they have not upgraded
// within `upgradeWithin`, a last push. Declaration (input, settings, steps):
// core/code-journey-types/trial-expiry.ts. Templates: templates/trial-*.json. Segment: "paying"
// (templates/paying-segment.json).
import { trialExpiry } from '../../core/code-journey-types/trial-expiry';
import type { JourneyRunResult } from '../../core/journey-contract';
import { type CodeJourneyInput, JourneyKit } from './kit';

export async function trialExpiryWorkflow({ input, ...run }: CodeJourneyInput<typeof trialExpiry>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(trialExpiry, run);

  await kit.send('trial-started', 'email', 'trial-started');
  await kit.waitUntil('before-trial-ends', { attribute: 'trialEndsAt', offset: input.remindBefore });
  if (await kit.inSegment('paying', 'paying')) return kit.finish();
  await kit.send('reminder', 'sms', 'trial-ending-sms', { fallback: { channel: 'web', template: 'trial-ending-web' } });
  if (!(await kit.waitForEvent('upgrade', 'upgraded', input.upgradeWithin))) await kit.send('last-chance', 'push', 'trial-last-chance');
  return kit.finish();
}
