// The delivery channels Cairn sends through. Pure.
export const CHANNELS = ['email', 'sms', 'push', 'web'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A send step's `channel` that lets each customer's engagement pick among its listed channels. */
export const BEST_CHANNEL = 'best';
