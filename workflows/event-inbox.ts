// The customer's events as they reach a running journey (the customerEvent signal), and the
// one wait at a time that may be listening for them.
import type { CustomerEvent } from '../core/journey-contract';
import type { RunControl } from './run-control';

export interface EventSpec {
  event: string;
  match?: Record<string, string | number | boolean>;
}

/** Signals can arrive twice (ingest retried); a window of recent IDs keeps each event once. */
const REMEMBERED_IDS = 200;

export class EventInbox {
  private listening?: EventSpec;
  private caught?: CustomerEvent;
  private readonly seen: string[];

  constructor(
    private readonly control: RunControl,
    /** Hears every new event first (exit criteria, goals). */
    private readonly watch: (event: CustomerEvent) => void,
    /** The IDs the run heard before it continued as new. */
    heard: string[] = [],
  ) {
    this.seen = heard.slice(-REMEMBERED_IDS);
  }

  /** The window of recent IDs, for the next run after continue-as-new. */
  get recentIds(): string[] {
    return [...this.seen];
  }

  /** The signal handler: an event counts for a wait only if one is listening for it right now. */
  deliver(event: CustomerEvent): void {
    if (this.seen.includes(event.id)) return;
    this.seen.push(event.id);
    if (this.seen.length > REMEMBERED_IDS) this.seen.shift();
    this.watch(event);
    if (this.listening && !this.caught && matches(this.listening, event)) this.caught = event;
  }

  /** Waits for a matching event for up to timeoutMs; undefined when the time runs out. */
  async waitFor(spec: EventSpec, timeoutMs: number): Promise<CustomerEvent | undefined> {
    this.listening = spec;
    this.caught = undefined;
    try {
      await this.control.until(() => this.caught !== undefined, timeoutMs);
      return this.caught;
    } finally {
      this.listening = undefined;
      this.caught = undefined;
    }
  }
}

function matches(spec: EventSpec, event: CustomerEvent): boolean {
  if (event.name !== spec.event) return false;
  return Object.entries(spec.match ?? {}).every(([key, value]) => event.properties?.[key] === value);
}
