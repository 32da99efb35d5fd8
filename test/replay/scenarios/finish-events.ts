// One pass of the event sweep, as its schedule starts it (workflows/finish-events.ts):
// finish-events-pass was recorded before the pass re-checked segment exits.
import { finishEventsWorkflow } from '../../../workflows/finish-events';
import { type Scenario, toTheEnd } from '../scenario';

export const scenarios: Scenario<typeof finishEventsWorkflow>[] = [
  { name: 'finish-events-pass', workflow: finishEventsWorkflow, workflowId: 'finish-events:finish-events-pass', args: [], drive: toTheEnd },
  {
    name: 'finish-events-pass-rechecks-exits',
    workflow: finishEventsWorkflow,
    workflowId: 'finish-events:finish-events-pass-rechecks-exits',
    args: [],
    drive: toTheEnd,
  },
];
