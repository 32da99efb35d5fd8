// Every activity the worker registers, built from explicit dependencies so tests can hand in
// their own. Workflows import the type only.
import { createSend, SendDeps } from './send';

export type ActivityDeps = SendDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    send: createSend(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { SendInput, SendResult } from './send';
