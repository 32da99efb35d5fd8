// A journey may send only on channels with a provider: the API says which setting is missing.
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('unconfigured-channels', { worker: false, apiChannels: ['email', 'web'] });
  await stack.api('PUT', '/v1/templates/promo-sms', { channel: 'sms', content: { body: 'Deals.' } });
  await stack.api('PUT', '/v1/templates/promo-push', { channel: 'push', content: { title: 'Deals', body: 'Now.' } });
  await stack.api('PUT', '/v1/templates/promo-web', { channel: 'web', content: { title: 'Deals', body: 'Now.' } });
});
afterAll(async () => {
  await stack?.close();
});

test('when a journey sends on channels without a provider, then it is refused naming each step and the settings to make', async () => {
  const res = await stack.api('PUT', '/v1/journeys/promo', {
    name: 'Promo',
    steps: [
      { id: 'text', type: 'send', channel: 'sms', template: 'promo-sms', next: 'web' },
      { id: 'web', type: 'send', channel: 'web', template: 'promo-web', fallback: { channel: 'push', template: 'promo-push' } },
    ],
  });
  expect(res.status).toBe(400);
  expect(res.body.error.details).toEqual([
    { field: 'steps[0].channel', message: 'step "text": no provider is configured for channel sms (set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM)' },
    { field: 'steps[1].fallback.channel', message: 'step "web": no provider is configured for channel push (set FIREBASE_PROJECT_ID)' },
  ]);
  expect((await stack.api('GET', '/v1/journeys/promo')).status).toBe(404);
});
