// An example code-first journey: onboarding that reacts to product use. A new user gets a
// welcome email; if they have not created a project within two days, a nudge, and three more
// days; then power users get pro tips in the web inbox and everyone else the basics.
// Declaration: core/code-journey-types/onboarding.ts. Templates: templates/onboarding-*.json.
// Segment: "power-users" (templates/power-users-segment.json).
import { onboarding } from '../../core/code-journey-types/onboarding';
import type { JourneyRunResult } from '../../core/journey-contract';
import { type CodeJourneyInput, JourneyKit } from './kit';

export async function onboardingWorkflow(input: CodeJourneyInput<typeof onboarding>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(onboarding, input);

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
