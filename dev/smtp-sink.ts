// A real SMTP server that keeps what it receives: the local stand-in for an email provider,
// used by `npm start` and by the tests. Optionally lists the mail over HTTP as JSON.
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { startMessageViewer } from './message-viewer';

export interface ReceivedMail {
  messageId?: string;
  from?: string;
  /** Envelope recipients, as the SMTP server saw them. */
  to: string[];
  subject?: string;
  text?: string;
  html?: string;
  headers: Record<string, string>;
  receivedAt: string;
}

export interface SmtpSinkOptions {
  port?: number;
  host?: string;
  /** Recipients the server refuses with 550, as a provider refuses a bad address. */
  rejectRecipient?: (address: string) => boolean;
  /** Holds each recipient this long before accepting it, as a slow provider does (fault tests). */
  delayMs?: number;
  /** Also serve GET /messages (JSON) on this port. */
  httpPort?: number;
  onMail?: (mail: ReceivedMail) => void;
}

export interface SmtpSink {
  port: number;
  httpPort?: number;
  messages: ReceivedMail[];
  /** The next `count` recipients are refused with a temporary 451, as a provider under load does. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const messages: ReceivedMail[] = [];
  let failures = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        const err = Object.assign(new Error(`5.1.1 <${address.address}>: mailbox unavailable`), { responseCode: 550 });
        callback(err);
        return;
      }
      if (failures > 0) {
        failures--;
        callback(Object.assign(new Error('4.3.2 try again later'), { responseCode: 451 }));
        return;
      }
      if (options.delayMs) setTimeout(() => callback(), options.delayMs);
      else callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const headers: Record<string, string> = {};
          // Raw values: mailparser turns some headers (From, List-*) into objects.
          for (const line of parsed.headerLines) headers[line.key] ??= line.line.slice(line.line.indexOf(':') + 1).trim();
          const mail: ReceivedMail = {
            messageId: parsed.messageId,
            from: parsed.from?.text,
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject,
            text: parsed.text,
            html: typeof parsed.html === 'string' ? parsed.html : undefined,
            headers,
            receivedAt: new Date().toISOString(),
          };
          messages.push(mail);
          options.onMail?.(mail);
          callback();
        })
        .catch(callback);
    },
  });
  // A client that vanishes mid-conversation (the fault tests kill workers) resets its socket:
  // the sink's business is what was accepted, not the client's manners.
  server.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') console.error('smtp sink:', err.message);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  const web = options.httpPort !== undefined ? await startMessageViewer(options.httpPort, host, messages) : undefined;
  return {
    port,
    httpPort: web?.port,
    messages,
    failNext(count) {
      failures = count;
    },
    async close() {
      web?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
