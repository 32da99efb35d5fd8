import { FailureType } from '../../core/failures';
import { JOURNEY_STOPPED } from '../../core/journey-contract';
import { explainSend, type SendFacts } from '../../core/send-explanation';

const skipped = (reason: string, extra: Partial<SendFacts> = {}) => explainSend({ state: 'skipped', plannedChannel: 'sms', reason, ...extra });
const failed = (reason: string, failureType: string) => explainSend({ state: 'failed', plannedChannel: 'email', reason, failureType });

describe('skips: every reason the send activity records', () => {
  test.each([
    ['unsubscribed', /unsubscribed/],
    ['unreachable', /no address on the channel/],
    ['customer-not-found', /customer was deleted/],
    [JOURNEY_STOPPED, /journey was stopped or archived/],
  ])('when skipped for %s, then the words say why and the reason is kept', (reason, words) => {
    const explained = skipped(reason);
    expect(explained).toEqual({ outcome: 'skipped', reason, explanation: expect.stringMatching(words) });
  });

  test('when capped by a rule whose window is known, then the words name the rule and its window', () => {
    expect(skipped('capped:email-daily', { capWindow: '1d' })).toEqual({
      outcome: 'skipped',
      reason: 'capped:email-daily',
      explanation: 'frequency cap "email-daily" (per 1d) already allowed the customer all its messages in its window',
    });
  });

  test('when capped by a rule since removed, then the words name the rule without a window', () => {
    expect(skipped('capped:gone').explanation).toBe('frequency cap "gone" already allowed the customer all its messages in its window');
  });

  test('when skipped for a reason this version does not know, then the reason itself is shown', () => {
    expect(skipped('something-new').explanation).toBe('skipped: something-new');
  });
});

describe('failures', () => {
  test('when a template rendered an empty field, then the reason is its code and the words name the field', () => {
    expect(failed('rendered-empty:subject', FailureType.TemplateRenderError)).toEqual({
      outcome: 'failed',
      reason: 'rendered-empty:subject',
      explanation: 'the template rendered an empty "subject" with this customer\'s data, so nothing went out',
    });
  });

  test('when a template rendered a refused link, then the words name the field', () => {
    expect(failed('rendered-bad-link:link', FailureType.TemplateRenderError)).toMatchObject({ reason: 'rendered-bad-link:link', explanation: expect.stringContaining('"link"') });
  });

  test.each([
    [FailureType.TemplateNotFound, 'template "gone" for channel email does not exist', 'template missing: template "gone" for channel email does not exist'],
    [FailureType.TemplateRenderError, 'Parse error on line 1', 'the template does not render: Parse error on line 1'],
    [FailureType.ChannelNotConfigured, 'no provider is configured for channel sms on this worker', 'channel not configured: no provider is configured for channel sms on this worker'],
    [
      FailureType.ChannelPermanentRejection,
      'Twilio refused the message (error 21211): invalid To',
      'the provider refused the message: Twilio refused the message (error 21211): invalid To',
    ],
    ['SomethingElse', 'odd', 'failed: odd'],
  ])('when failed with %s, then the reason is the failure type and the words carry the message', (type, reason, words) => {
    expect(failed(reason, type)).toEqual({ outcome: 'failed', reason: type, explanation: words });
  });
});

describe('sent and pending', () => {
  test('when sent on the planned channel, then the words say so', () => {
    expect(explainSend({ state: 'sent', plannedChannel: 'email', usedChannel: 'email' })).toEqual({ outcome: 'sent', explanation: 'sent on email' });
  });

  test('when sent on the fallback, then the words say the fallback was taken and from which channel', () => {
    expect(explainSend({ state: 'sent', plannedChannel: 'sms', usedChannel: 'web' }).explanation).toBe(
      'fallback taken: sent on web, as the customer could not be reached on sms (no address, or unsubscribed)',
    );
  });

  test('when the provider reported a status with an error code, then the words carry both', () => {
    expect(explainSend({ state: 'sent', plannedChannel: 'sms', providerStatus: 'undelivered', providerErrorCode: '30003' }).explanation).toBe(
      'sent on sms; the provider reports it undelivered (error 30003)',
    );
  });

  test('when claimed without an outcome, then it is pending and the words say deferrals are not recorded', () => {
    const explained = explainSend({ state: 'claimed', plannedChannel: 'email' });
    expect(explained.outcome).toBe('pending');
    expect(explained.explanation).toMatch(/deferrals are not recorded/);
    expect(explainSend({ state: 'claimed', plannedChannel: 'sms', usedChannel: 'web' }).explanation).toMatch(/^being handed to the provider on web/);
  });
});
