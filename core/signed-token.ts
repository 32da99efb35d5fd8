// Tamper-proof tokens for links and browser credentials (unsubscribe links, inbox tokens).
// Pure: HMAC-SHA256 from node:crypto, no I/O.
//
// A token is `base64url(JSON body).base64url(HMAC)`. The body names its purpose, and the MAC
// covers the body, so a token issued for one purpose never verifies for another.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPayload = Record<string, string>;

export type TokenProblem = 'malformed' | 'bad-signature' | 'wrong-purpose' | 'expired';

export type VerifiedToken = { ok: true; payload: TokenPayload; expiresAt?: Date } | { ok: false; reason: TokenProblem };

/** What each problem means, for error messages. */
export const TOKEN_PROBLEMS: Record<TokenProblem, string> = {
  malformed: 'is malformed',
  'bad-signature': 'has an invalid signature',
  'wrong-purpose': 'was issued for another purpose',
  expired: 'has expired',
};

interface Body {
  /** purpose */
  p: string;
  /** payload */
  d: TokenPayload;
  /** expiry, epoch ms */
  x?: number;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;

export function sign(secret: string, purpose: string, payload: TokenPayload, expiresAt?: Date): string {
  if (!secret) throw new Error('a signing secret is required');
  if (!purpose) throw new Error('a token purpose is required');
  if (expiresAt && Number.isNaN(expiresAt.getTime())) throw new Error('expiresAt is not a valid date');
  const body: Body = { p: purpose, d: payload, ...(expiresAt ? { x: expiresAt.getTime() } : {}) };
  const encoded = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${encoded}.${mac(secret, encoded).toString('base64url')}`;
}

/** Checks the signature first, so nothing about an unsigned body is trusted or reported. */
export function verify(secret: string, purpose: string, token: string, now: Date = new Date()): VerifiedToken {
  if (!secret) throw new Error('a signing secret is required');
  const parts = token.split('.');
  if (parts.length !== 2 || !SEGMENT.test(parts[0]) || !SEGMENT.test(parts[1])) return { ok: false, reason: 'malformed' };
  const [encoded, signature] = parts;
  // Compared as text: base64url decoding is lenient, and one MAC must have one spelling.
  const given = Buffer.from(signature);
  const expected = Buffer.from(mac(secret, encoded).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };

  const body = parseBody(encoded);
  if (!body) return { ok: false, reason: 'malformed' };
  if (body.p !== purpose) return { ok: false, reason: 'wrong-purpose' };
  if (body.x !== undefined && now.getTime() >= body.x) return { ok: false, reason: 'expired' };
  return { ok: true, payload: body.d, ...(body.x !== undefined ? { expiresAt: new Date(body.x) } : {}) };
}

function mac(secret: string, encodedBody: string): Buffer {
  return createHmac('sha256', secret).update(encodedBody).digest();
}

function parseBody(encoded: string): Body | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { p, d, x } = value as Record<string, unknown>;
  if (typeof p !== 'string' || typeof d !== 'object' || d === null || Array.isArray(d)) return undefined;
  if (x !== undefined && !Number.isFinite(x)) return undefined;
  if (!Object.values(d).every((v) => typeof v === 'string')) return undefined;
  return { p, d: d as TokenPayload, ...(x !== undefined ? { x: x as number } : {}) };
}
