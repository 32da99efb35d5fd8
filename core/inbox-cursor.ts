// Where a customer's inbox stream stands: what its browser already has, as the SSE event ID,
// so a reconnect resumes with neither loss nor repeats. Pure.
//
// Other processes write the inbox with createdAt from their own clocks, and a message becomes
// visible some time after its createdAt, so createdAt order is not arrival order: a message
// created just before one already delivered can still turn up. A position therefore says
// "everything created up to `watermark` has been delivered, and so have these later ones", with
// the watermark trailing the reader's clock by the overlap window that bounds that lateness.
import { createHash } from 'node:crypto';

export interface Stamped {
  _id: string;
  createdAt: Date;
}

/** Later messages named in a cursor; beyond this a resume may repeat a few, never lose any. */
const MAX_NAMED = 50;

/**
 * Messages are named by 66 bits of a hash of their ID: send keys run to hundreds of characters,
 * and the cursor travels in a Last-Event-ID header. A collision inside one window is negligible.
 */
const tagOf = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 11);
const TAG = /^[A-Za-z0-9_-]{11}$/;

export class StreamPosition {
  private constructor(
    private watermark: number,
    /** Delivered messages created after the watermark: ID tag → createdAt ms (NaN until learnt). */
    private readonly after: Map<string, number>,
  ) {}

  /** A stream with no history: the browser has everything created up to `watermark` (ms). */
  static at(watermark: number): StreamPosition {
    return new StreamPosition(watermark, new Map());
  }

  /** Undefined when the text is not a cursor this module wrote. */
  static decode(text: string): StreamPosition | undefined {
    if (!/^[A-Za-z0-9_-]{1,4000}$/.test(text)) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    const { w, a } = (value ?? {}) as { w?: unknown; a?: unknown };
    if (!Number.isSafeInteger(w) || !Array.isArray(a) || !a.every((tag) => typeof tag === 'string' && TAG.test(tag))) return undefined;
    return new StreamPosition(w as number, new Map((a as string[]).map((tag) => [tag, NaN])));
  }

  /** The query that finds what this stream may still lack: createdAt after this. */
  get since(): Date {
    return new Date(this.watermark);
  }

  /** Whether the message still has to be sent. */
  lacks(message: Stamped): boolean {
    return message.createdAt.getTime() > this.watermark && !this.after.has(tagOf(message._id));
  }

  /**
   * Takes the messages created after `since` as found now: a decoded cursor names IDs without
   * their times, and IDs not found (deleted messages) are dropped.
   */
  learn(found: Stamped[]): void {
    const times = new Map(found.map((m) => [tagOf(m._id), m.createdAt.getTime()]));
    for (const tag of [...this.after.keys()]) {
      const time = times.get(tag);
      if (time === undefined) this.after.delete(tag);
      else this.after.set(tag, time);
    }
  }

  delivered(message: Stamped): void {
    this.after.set(tagOf(message._id), message.createdAt.getTime());
  }

  /** Everything created up to `watermark` has been delivered. */
  advance(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    for (const [tag, time] of this.after) if (time <= watermark) this.after.delete(tag);
  }

  encode(): string {
    const newest = [...this.after].sort((x, y) => y[1] - x[1]).slice(0, MAX_NAMED);
    return Buffer.from(JSON.stringify({ w: this.watermark, a: newest.map(([tag]) => tag) })).toString('base64url');
  }
}
