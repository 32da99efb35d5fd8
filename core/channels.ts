// The delivery channels Cairn sends through. Pure.
export const CHANNELS = ['email', 'web'] as const;
export type Channel = (typeof CHANNELS)[number];
