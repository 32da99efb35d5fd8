// Code-first journey types the worker registers (workflows/code-first/), by journey ID. Their
// runs use the same workflow IDs, query, signals and search attributes as JSON journeys. Pure.
export interface CodeJourney {
  workflowType: string;
  description: string;
  /**
   * Every event name the type's runs wait for, exit on or count as a goal: ingest signals a
   * run only the events its journey lists here.
   */
  listensTo: readonly string[];
}

export const CODE_JOURNEYS: Record<string, CodeJourney> = {
  onboarding: {
    workflowType: 'onboardingWorkflow',
    description: 'Welcome email, a nudge if no project within two days, then pro tips or basics by product use',
    listensTo: ['project_created', 'account_deleted'],
  },
};
