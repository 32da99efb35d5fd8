// The onboarding type's declaration (its code: workflows/code-first/onboarding.ts).
import { z } from 'zod';
import { defineCodeJourney } from '../code-journey-type';

export const onboarding = defineCodeJourney({
  id: 'onboarding',
  workflowType: 'onboardingWorkflow',
  description: 'Welcome email, a nudge if no project within two days, then pro tips or basics by product use',
  input: z.object({}).strict(),
  // Converted: a first project within two weeks of sign-up.
  settings: { goal: { event: 'project_created', within: '14d' }, exitOnEvent: 'account_deleted' },
  steps: ['welcome', 'first-project', 'nudge', 'first-project-after-nudge', 'power-user', 'pro-tips', 'basics'],
  waitsFor: ['project_created'],
  templates: ['onboarding-welcome', 'onboarding-nudge', 'onboarding-pro-tips', 'onboarding-basics'],
  segments: ['power-users'],
});
