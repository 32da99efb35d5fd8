// Code-first journey types the worker registers (workflows/code-first/), by journey ID. Their
// runs use the same workflow IDs, query, signals and search attributes as JSON journeys. Pure.
export const CODE_JOURNEYS: Record<string, { workflowType: string; description: string }> = {
  onboarding: {
    workflowType: 'onboardingWorkflow',
    description: 'Welcome email, a nudge if no project within two days, then pro tips or basics by product use',
  },
};
