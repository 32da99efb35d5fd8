// Starting and reading segment launches in Temporal. Knows nothing of HTTP.
import { Client, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { describeIfExists } from './temporal';
import { launchWorkflowId } from '../core/ids';
import { SA_JOURNEY } from '../core/journey-contract';
import { LaunchInput, LaunchProgress, launchProgressQuery } from '../core/launch-contract';
import type { launchWorkflow } from '../workflows/launch';

export interface LaunchView {
  workflowId: string;
  status: string;
  /** Absent if no worker answered the query. */
  progress?: LaunchProgress;
}

export type Launches = ReturnType<typeof createLaunches>;

export function createLaunches(client: Client, taskQueue: string) {
  return {
    /** Starts the launch, or joins the one for this journey and segment that is still running. */
    async start(input: LaunchInput): Promise<{ workflowId: string }> {
      const workflowId = launchWorkflowId(input.journeyId, input.segmentId);
      await client.workflow.start<typeof launchWorkflow>('launchWorkflow', {
        workflowId,
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [{ key: SA_JOURNEY, value: input.journeyId }],
      });
      return { workflowId };
    },

    async describe(journeyId: string, segmentId: string): Promise<LaunchView | undefined> {
      const handle = client.workflow.getHandle(launchWorkflowId(journeyId, segmentId));
      const description = await describeIfExists(handle);
      if (!description) return undefined;
      const progress = await handle.query(launchProgressQuery).catch(() => undefined);
      return { workflowId: description.workflowId, status: description.status.name, progress };
    },
  };
}
