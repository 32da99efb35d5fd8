// Identifiers that cross the API, Temporal and MongoDB. Pure.

/** Customer, journey, template and step IDs: safe in URLs, workflow IDs and ledger keys. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$/;
export const ID_RULE = 'letters, digits and _ . @ + - (1 to 128, starting with a letter or digit)';

/**
 * One workflow per (journey, customer, entry). Deterministic, so a double launch finds the
 * run already there instead of entering the customer twice.
 */
export function journeyWorkflowId(journeyId: string, customerId: string, entry = 1): string {
  return `journey:${journeyId}:${customerId}:${entry}`;
}

/** The journey and customer a journey run's workflow ID names; undefined for other workflows. IDs hold no ":". */
export function journeyRunOf(workflowId: string): { journeyId: string; customerId: string } | undefined {
  const match = /^journey:([^:]+):([^:]+):\d+$/.exec(workflowId);
  return match ? { journeyId: match[1], customerId: match[2] } : undefined;
}

/**
 * The idempotency key of one send: stable across activity retries, worker crashes, replays
 * and resets, and distinct for each visit of a step in a looping journey.
 */
export function sendKey(workflowId: string, stepId: string, visit: number): string {
  return `${workflowId}:${stepId}:${visit}`;
}

/** The customer a journey run's send key is for (IDs hold no ":"); undefined for other keys. */
export function sendKeyCustomer(key: string): string | undefined {
  return /^journey:[^:]+:([^:]+):\d+:/.exec(key)?.[1];
}

/**
 * One launch per (journey, segment) at a time: a second request while it runs joins it; once it
 * has finished, launching again starts a new pass that enters the segment's newcomers.
 */
export function launchWorkflowId(journeyId: string, segmentId: string): string {
  return `launch:${journeyId}:${segmentId}`;
}
