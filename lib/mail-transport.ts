// The SMTP transport the email channel sends through: a pool of kept-open connections (one
// connection per message cost 4 to 8 times the throughput in bench/delivery.ts), DKIM-signing
// every message when a key is configured (d= the From domain; the signature covers
// List-Unsubscribe and -Post, which mailbox providers require before they offer one-click
// unsubscribe).
import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from './config';

export function createMailTransport(email: Config['email']): Transporter {
  const dkim = email.dkim && {
    domainName: email.messageIdDomain,
    keySelector: email.dkim.selector,
    privateKey: readFileSync(email.dkim.keyFile, 'utf8'),
  };
  return nodemailer.createTransport({ url: email.smtpUrl, pool: true }, dkim ? { dkim } : {});
}
