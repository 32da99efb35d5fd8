import { createHmac } from 'node:crypto';
import { sign, verify } from '../../core/signed-token';
import { readUnsubscribeToken, unsubscribeToken, unsubscribeUrl } from '../../core/unsubscribe-links';

const SECRET = 'unit-test-secret-0123456789abcdef';
const payload = { customerId: 'cust-1', journeyId: 'welcome' };

/** The token with one character of the given part (0: body, 1: MAC) changed. */
function flipped(token: string, part: 0 | 1): string {
  const parts = token.split('.');
  const s = parts[part];
  parts[part] = s.slice(0, 5) + (s[5] === 'A' ? 'B' : 'A') + s.slice(6);
  return parts.join('.');
}

describe('signed tokens', () => {
  it('when a token is verified with the secret and purpose it was signed with, then its payload comes back', () => {
    const token = sign(SECRET, 'inbox', payload);
    expect(verify(SECRET, 'inbox', token)).toEqual({ ok: true, payload });
  });

  it('when signed, then the token is URL-safe base64 in two parts', () => {
    expect(sign(SECRET, 'inbox', { customerId: 'ä/?+=é' })).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('when a token is checked for another purpose, then it is refused as the wrong purpose', () => {
    const inbox = sign(SECRET, 'inbox', payload);
    expect(verify(SECRET, 'unsubscribe', inbox)).toEqual({ ok: false, reason: 'wrong-purpose' });
  });

  it('when the body names another purpose, then the MAC no longer matches', () => {
    const [body, mac] = sign(SECRET, 'inbox', payload).split('.');
    const json = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...json, p: 'unsubscribe' })).toString('base64url')}.${mac}`;
    expect(verify(SECRET, 'unsubscribe', forged)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('when the body or the MAC is altered, or another secret signed it, then it has a bad signature', () => {
    const token = sign(SECRET, 'inbox', payload);
    expect(verify(SECRET, 'inbox', flipped(token, 0))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify(SECRET, 'inbox', flipped(token, 1))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verify('another-secret-0123456789abcdefgh', 'inbox', token)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('when the MAC is spelt differently but decodes to the same bytes, then it is refused', () => {
    const token = sign(SECRET, 'inbox', payload);
    // 32 bytes in 43 base64url characters: the last one carries 2 spare bits.
    const last = token.slice(-1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1];
    expect(verify(SECRET, 'inbox', token.slice(0, -1) + sibling).ok).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['three parts', 'a.b.c'],
    ['characters outside base64url', 'ab+c.de/f'],
  ])('when the token is %s, then it is malformed', (_what, token) => {
    expect(verify(SECRET, 'inbox', token)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('when a correctly signed body is not a token body, then it is malformed', () => {
    const body = Buffer.from(JSON.stringify({ p: 'inbox', d: { n: 1 } })).toString('base64url');
    const mac = createHmac('sha256', SECRET).update(body).digest('base64url');
    expect(verify(SECRET, 'inbox', `${body}.${mac}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('when a token has an expiry, then it verifies until then and is expired from then on', () => {
    const expiresAt = new Date('2026-03-01T00:00:00Z');
    const token = sign(SECRET, 'inbox', payload, expiresAt);
    expect(verify(SECRET, 'inbox', token, new Date('2026-02-28T23:59:59Z'))).toEqual({ ok: true, payload, expiresAt });
    expect(verify(SECRET, 'inbox', token, expiresAt)).toEqual({ ok: false, reason: 'expired' });
  });

  it('when an expired token is also for another purpose, then the purpose is the reason given', () => {
    const token = sign(SECRET, 'inbox', payload, new Date('2020-01-01T00:00:00Z'));
    expect(verify(SECRET, 'unsubscribe', token)).toEqual({ ok: false, reason: 'wrong-purpose' });
  });

  it('when there is no secret, then signing and verifying refuse to work', () => {
    expect(() => sign('', 'inbox', payload)).toThrow(/secret/);
    expect(() => verify('', 'inbox', 'a.b')).toThrow(/secret/);
  });
});

describe('unsubscribe links', () => {
  it('when a link is built, then it points at /unsubscribe/<token> under the public URL, and its token names customer, channel and journey', () => {
    const url = unsubscribeUrl('https://cairn.example.com/', SECRET, 'cust-1', 'welcome');
    const match = /^https:\/\/cairn\.example\.com\/unsubscribe\/([A-Za-z0-9_.-]+)$/.exec(url);
    expect(match).not.toBeNull();
    expect(readUnsubscribeToken(SECRET, match![1])).toEqual({ ok: true, request: { customerId: 'cust-1', channel: 'email', journeyId: 'welcome' } });
  });

  it('when an inbox token is presented as an unsubscribe token, then it is refused', () => {
    expect(readUnsubscribeToken(SECRET, sign(SECRET, 'inbox', { customerId: 'cust-1' }))).toEqual({ ok: false, reason: 'wrong-purpose' });
  });

  it('when an unsubscribe token names an unknown channel, then it is malformed', () => {
    const token = sign(SECRET, 'unsubscribe', { customerId: 'cust-1', channel: 'fax', journeyId: 'welcome' });
    expect(readUnsubscribeToken(SECRET, token)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('when an unsubscribe token is made, then it does not expire', () => {
    expect(readUnsubscribeToken(SECRET, unsubscribeToken(SECRET, 'c', 'j')).ok).toBe(true);
    expect(verify(SECRET, 'unsubscribe', unsubscribeToken(SECRET, 'c', 'j'), new Date('2100-01-01T00:00:00Z')).ok).toBe(true);
  });
});
