// ApplicationFailure types shared by activities and workflows. Pure.

export const FailureType = {
  /** The template a step names no longer exists. */
  TemplateNotFound: 'TemplateNotFound',
  /**
   * The template does not render with this customer's data, or renders what must not go out: a
   * blank text field (`rendered-empty:<field>`), a refused link (`rendered-bad-link:<field>`).
   */
  TemplateRenderError: 'TemplateRenderError',
  /** The provider refused the message for good (bad address, rejected content). */
  ChannelPermanentRejection: 'ChannelPermanentRejection',
  /** The worker has no provider configured for the channel (e.g. no Twilio credentials). */
  ChannelNotConfigured: 'ChannelNotConfigured',
  /** The segment a step or launch names does not exist. */
  SegmentNotFound: 'SegmentNotFound',
  /** A stored segment rule is not valid under the current rule language. */
  SegmentRuleInvalid: 'SegmentRuleInvalid',
  /** A launch names a journey version that was never saved. */
  JourneyVersionNotFound: 'JourneyVersionNotFound',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failures that no retry can fix: the retry policy stops on these at once. */
export const PERMANENT_FAILURES: string[] = Object.values(FailureType);
