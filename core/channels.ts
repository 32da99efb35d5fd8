// The delivery channels Cairn sends through. Pure.
export const CHANNELS = ['email', 'sms', 'push', 'web'] as const;
export type Channel = (typeof CHANNELS)[number];
