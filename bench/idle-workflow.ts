// The baseline's workflow: does nothing but wait, as a journey run on a long wait step does.
import { sleep } from '@temporalio/workflow';

export async function benchIdleWorkflow(): Promise<void> {
  await sleep('30 days');
}
