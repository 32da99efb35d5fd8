import type { JourneyRunState, SplitTrial, TemplateEvent } from '../../core/journey-contract';
import type { JourneySettings, Step } from '../../core/journey-definition';
import type { EventInbox } from '../event-inbox';
import type { RunControl } from '../run-control';

/** Whose run it is. */
export interface RunIdentity {
  journeyId: string;
  customerId: string;
}

/** What a step handler gets: whose run, the journey's settings, the live state and the visit number. */
export interface StepContext {
  run: RunIdentity;
  settings?: JourneySettings;
  state: JourneyRunState;
  /** 1 the first time the run enters this step, 2 the second time, ... */
  visit: number;
  /** The customer's events as they arrive. */
  events: EventInbox;
  /** The events templates read: the entry event, and by waitForEvent step the one that ended it. */
  templateEvents: { event?: TemplateEvent; events: Record<string, TemplateEvent> };
  /** Early ends, and the waits that end with them. */
  control: RunControl;
  /** Opens an optimizing split's trial: the run listens for its goal until its window closes. */
  openTrial: (stepId: string, trial: SplitTrial) => void;
}

/** Runs one step and returns the ID of the next one, or undefined to end the journey. */
export type StepHandler<S extends Step = Step> = (step: S, ctx: StepContext) => Promise<string | undefined>;
