// The contract of the launch workflow, which enters a whole segment into a journey. Pure.
import { defineQuery } from '@temporalio/workflow';

export interface LaunchInput {
  journeyId: string;
  journeyVersion: number;
  segmentId: string;
  /** The segment's rule as it was at launch: editing the segment does not move a launch. */
  rule: unknown;
  /** The moment "within 7d" and the like are measured from, the same for every page. */
  asOf: string;
  /** A code-first type's launch input, which every run it starts gets. */
  input?: unknown;
  /** Carried across continue-as-new. */
  progress?: LaunchProgress;
}

export interface LaunchProgress {
  /** `stopped`: the journey was stopped or archived while it launched; nobody more enters. */
  status: 'counting' | 'entering' | 'completed' | 'stopped';
  /** Members counted when the launch began: members who join or leave meanwhile move it. */
  estimatedTotal?: number;
  entered: number;
  alreadyEntered: number;
  pages: number;
  /** The last customer ID handled: customers are taken in `_id` order. */
  cursor?: string;
  startedAt: string;
  completedAt?: string;
  stoppedAt?: string;
}

export interface EnrollPageInput {
  journeyId: string;
  journeyVersion: number;
  rule: unknown;
  asOf: string;
  afterId?: string;
  pageSize: number;
  /** A code-first type's launch input (LaunchInput). */
  input?: unknown;
}

export interface EnrollPageResult {
  lastId?: string;
  entered: number;
  alreadyEntered: number;
  /** True when the page came back short: no members are left after it. */
  done: boolean;
  /** The journey was stopped or archived: the page entered nobody more, and the launch ends. */
  stopped?: boolean;
}

export const launchProgressQuery = defineQuery<LaunchProgress>('launchProgress');
