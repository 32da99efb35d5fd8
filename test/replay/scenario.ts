// A replay scenario: a workflow type, its input, and how the recorder drives one run of it to
// the point where its history is captured (test/replay/record-histories.ts). Each workflow type
// declares its scenarios in a file of its own under test/replay/scenarios/, which the recorder
// and the replay test read whole: a new type adds a file, and no list names it.
import type { WorkflowHandle } from '@temporalio/client';
import type { Duration, SearchAttributePair } from '@temporalio/common';
import type { Workflow } from '@temporalio/workflow';

export interface Scenario<W extends Workflow = Workflow> {
  /** The history's file name, without `.json`: unique across all scenarios. */
  name: string;
  workflow: W;
  workflowId: string;
  args: Parameters<W>;
  searchAttributes?: SearchAttributePair[];
  drive(handle: WorkflowHandle<W>, sleep: (d: Duration) => Promise<void>): Promise<void>;
}

/** What a scenario tells the recorder's fake activities as it drives its run. */
export const recorderState = {
  /** The journey of the scenario that resumes by signal is resumed in the store too. */
  resumed: false,
};

/** Drives a run to its end. */
export const toTheEnd = (handle: WorkflowHandle) => handle.result().then(() => undefined);
