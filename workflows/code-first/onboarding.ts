// An example code-first journey: onboarding that reacts to product use. A new user gets a
// welcome email; if they have not created a project within two days, a nudge, and three more
// days; then power users get pro tips in the web inbox and everyone else the basics.
// Templates: templates/onboarding-*.json. Segment: "power-users" (see docs/code-first-journeys.md).
import type { JourneyRunResult } from '../../core/journey-contract';
import { CodeJourneyInput, JourneyKit } from './kit';

export const ONBOARDING_JOURNEY_ID = 'onboarding';

export async function onboardingWorkflow(input: CodeJourneyInput): Promise<JourneyRunResult> {
  const kit = new JourneyKit({
    journeyId: ONBOARDING_JOURNEY_ID,
    customerId: input.customerId,
    // Converted: a first project within two weeks of sign-up.
    settings: { goal: { event: 'project_created', within: '14d' }, exitOnEvent: 'account_deleted' },
  });

  await kit.send('welcome', 'email', 'onboarding-welcome');
  const created = await kit.waitForEvent('first-project', 'project_created', '2d');
  if (!created) {
    await kit.send('nudge', 'email', 'onboarding-nudge');
    await kit.waitForEvent('first-project-after-nudge', 'project_created', '3d');
  }
  if (await kit.inSegment('power-user', 'power-users')) await kit.send('pro-tips', 'web', 'onboarding-pro-tips');
  else await kit.send('basics', 'web', 'onboarding-basics');
  return kit.finish();
}
