// How a run ends early (stop signal, exit event, conversion, exit step) and the waits that end
// with it: every wait in a run goes through here, so nothing keeps waiting after the end.
import { condition } from '@temporalio/workflow';
import type { ExitReason } from '../core/journey-contract';

export class RunControl {
  endReason?: ExitReason;
  paused = false;
  /** Resume signals heard so far: a send tells from it whether one came while it was out. */
  resumes = 0;

  constructor(
    /** Told as the run begins to wait (a timer, an event, a pause), while it has not ended. */
    private readonly waiting: () => void = () => undefined,
  ) {}

  /** The resume signal. */
  resume(): void {
    this.paused = false;
    this.resumes += 1;
  }

  /** The first reason wins: a run ends once. */
  end(reason: ExitReason): void {
    this.endReason ??= reason;
  }

  get ended(): boolean {
    return this.endReason !== undefined;
  }

  /** Holds while the journey is paused (no timer); false when the run ended meanwhile. */
  async unlessPaused(): Promise<boolean> {
    if (this.paused && !this.ended) {
      this.waiting();
      await condition(() => !this.paused || this.ended);
    }
    return !this.ended;
  }

  /** Waits up to ms (a durable timer); false when the run ended meanwhile. */
  async pause(ms: number): Promise<boolean> {
    if (ms <= 0) return !this.ended;
    if (!this.ended) this.waiting();
    const ended = await condition(() => this.ended, ms);
    return !ended;
  }

  /** Waits until `done()` or up to ms; true when `done()` came first. Ends early with the run. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
    if (!this.ended) this.waiting();
    await condition(() => done() || this.ended, ms);
    return done();
  }
}
