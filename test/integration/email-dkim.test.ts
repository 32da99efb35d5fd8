// DKIM: with a key configured, every email leaves signed for the From domain, and the signature
// covers the one-click unsubscribe headers (mailbox providers require that).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEmailChannel } from '../../activities/channels/email';
import { unsubscribeUrl } from '../../core/unsubscribe-links';
import type { CustomerDoc } from '../../db/models';
import { startSmtpSink, SmtpSink } from '../../dev/smtp-sink';
import { createMailTransport } from '../../lib/mail-transport';

let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

test('when a DKIM key is configured, then the email is signed for the From domain over List-Unsubscribe and -Post', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'cairn-dkim-')), 'dkim.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const email = { smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'Shop <news@shop.example>', messageIdDomain: 'shop.example', dkim: { selector: 'cairn', keyFile } };
  const transport = createMailTransport(email);
  const channel = createEmailChannel(transport, email);
  const customer = { _id: 'ada', email: 'ada@example.test', attributes: {}, createdAt: new Date(), updatedAt: new Date() } as CustomerDoc;
  try {
    await channel.deliver({ key: 'k1', journeyId: 'news', customer, address: 'ada@example.test', content: { subject: 'News', text: 'Hi' }, unsubscribeUrl: unsubscribeUrl('https://cairn.shop.example', 's'.repeat(32), 'ada', 'news'), parts: { done: {}, record: async () => {} } });
  } finally {
    transport.close();
  }
  const signature = sink.messages[0].headers['dkim-signature'].replace(/\s+/g, '');
  expect(signature).toContain('d=shop.example;');
  expect(signature).toContain('s=cairn;');
  const signed = /(?:^|;)h=([^;]+)/.exec(signature)![1].toLowerCase().split(':');
  expect(signed).toEqual(expect.arrayContaining(['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post', 'message-id']));
});
