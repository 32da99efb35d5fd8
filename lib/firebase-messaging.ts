// A firebase-admin Messaging client of its own (a named app, so several live in one process),
// aimed at Google or, when FCM_LOCAL_ADDRESS is set, at the local FCM server (dev/fcm-server.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { applicationDefault, cert, deleteApp, initializeApp, type AppOptions, type Credential } from 'firebase-admin/app';
import { getMessaging, type Messaging } from 'firebase-admin/messaging';
import type { Config } from './config';

export interface FirebaseMessaging {
  messaging: Messaging;
  /** Deletes the app and drops its connections. */
  close(): Promise<void>;
}

/** The certificate the local server shows is checked against this name and the local CA. */
const FCM_HOST = 'fcm.googleapis.com';

/**
 * firebase-admin has a fixed FCM host and no emulator; its HTTP/1.1 client (used by `send()`,
 * not by `sendEach()`, which speaks HTTP/2 without the agent) connects through
 * `AppOptions.httpAgent`. This agent opens every connection to the local server instead,
 * still verifying TLS for fcm.googleapis.com, against the local CA only.
 */
class LocalFcmAgent extends https.Agent {
  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly ca: Buffer,
  ) {
    super({ keepAlive: true });
  }

  /** The agent takes a returned socket as made; its errors reach the request as usual. */
  override createConnection(): Duplex {
    return tls.connect({ host: this.host, port: this.port, servername: FCM_HOST, ca: this.ca, ALPNProtocols: ['http/1.1'] });
  }
}

/**
 * The local server accepts any bearer token, so this credential hands out a fixed one. It
 * authenticates nothing: it exists only so firebase-admin sends its usual Authorization header.
 */
const localStandInCredential: Credential = {
  getAccessToken: async () => ({ access_token: 'cairn-local-fcm', expires_in: 3600 }),
};

export function createFirebaseMessaging(push: NonNullable<Config['push']>): FirebaseMessaging {
  let agent: LocalFcmAgent | undefined;
  const options: AppOptions = { projectId: push.projectId };
  if (push.localAddress) {
    if (!push.caFile) throw new Error('a local FCM address needs its CA file (FCM_CA_FILE)');
    const at = push.localAddress.lastIndexOf(':');
    agent = new LocalFcmAgent(push.localAddress.slice(0, at), Number(push.localAddress.slice(at + 1)), readFileSync(push.caFile));
    options.httpAgent = agent;
    options.credential = localStandInCredential;
  } else {
    options.credential = push.credentialsFile ? cert(push.credentialsFile) : applicationDefault();
  }
  const app = initializeApp(options, `cairn-push-${randomBytes(6).toString('hex')}`);
  return {
    messaging: getMessaging(app),
    async close() {
      await deleteApp(app);
      agent?.destroy();
    },
  };
}
