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

    /**
     * Waits for the journey's running launches to end, once it is stopped or archived (each
     * page reads the journey's state before every chunk of starts, and the launch ends when it
     * finds it stopped). Resolves with how many launches are still running after `withinMs`:
     * one whose worker is down ends when a worker picks it up again, entering nobody.
     */
    async whenStopped(journeyId: string, withinMs: number): Promise<number> {
      const query = `WorkflowType = "launchWorkflow" AND ${SA_JOURNEY.name} = "${journeyId}" AND ExecutionStatus = "Running"`;
      const running: string[] = [];
      for await (const launch of client.workflow.list({ query })) running.push(launch.workflowId);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs)));
      try {
        const ends = await Promise.all(
          running.map((workflowId) =>
            Promise.race([client.workflow.getHandle(workflowId).result().then(() => 'ended' as const, () => 'ended' as const), deadline]),
          ),
        );
        return ends.filter((end) => end === 'late').length;
      } finally {
        clearTimeout(timer);
      }
    },

    /** Launches running on this task queue now (a visibility count). */
    async countRunning(): Promise<number> {
      const { count } = await client.workflow.count(`WorkflowType = "launchWorkflow" AND TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`);
      return count;
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
