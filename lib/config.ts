// One typed configuration, parsed once from the environment at start; a bad value stops the
// process with a message naming the variable.
import path from 'node:path';
import { z } from 'zod';
import { CHANNELS, type Channel } from '../core/channels';
import { JOURNEY_TASK_QUEUE } from '../core/journey-contract';
import { LOG_LEVELS, type LogLevelName } from './logger';

/**
 * Journey runs one worker keeps cached (Temporal's sticky cache), about 0.25 MB of resident
 * memory each. With 10,000 runs waiting a worker caching 100 (started as workers/process-env.ts
 * says) measured 280–290 MB, 250 cached 322 MB, 500 cached 384 MB: 100 keeps it under 300 MB.
 * A run woken after it left the cache is replayed from its history (BENCHMARKS.md, worker memory).
 */
export const DEFAULT_WORKFLOW_CACHE_SIZE = 100;

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  PORT: port.default(3000),
  /** The least severe log lines written (JSON lines on stdout). */
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  /** Comma-separated API keys accepted as `Authorization: Bearer <key>`. */
  CAIRN_API_KEYS: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(JOURNEY_TASK_QUEUE),
  TEMPORAL_TLS: flag.default(false),
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  TEMPORAL_API_KEY: z.string().optional(),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI').default('mongodb://127.0.0.1:27017/cairn'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:2525'),
  EMAIL_FROM: z.string().min(3).default('Cairn <cairn@localhost>'),
  /** DKIM signing of outgoing mail with the From domain: Gmail and Yahoo honour one-click unsubscribe only under DKIM. */
  EMAIL_DKIM_SELECTOR: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be a DNS label such as "cairn"').optional(),
  EMAIL_DKIM_KEY_FILE: z.string().min(1).optional(),
  /** Where customers' browsers and providers' webhooks reach the API (links in messages). */
  CAIRN_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  CAIRN_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  TWILIO_FROM: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number').optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be MG followed by 32 hex digits').optional(),
  /** Another base URL for Twilio's API (the local Twilio server); unset means api.twilio.com. */
  TWILIO_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  FIREBASE_PROJECT_ID: z.string().min(1).optional(),
  /** A service-account JSON file; unset means Google's application default credentials. */
  GOOGLE_APPLICATION_CREDENTIALS: z.string().min(1).optional(),
  /** host:port of a local FCM server to use instead of fcm.googleapis.com, with its CA. */
  FCM_LOCAL_ADDRESS: z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port').optional(),
  FCM_CA_FILE: z.string().min(1).optional(),
  ...Object.fromEntries(CHANNELS.map((c) => [`CAIRN_SEND_RATE_${c.toUpperCase()}`, z.coerce.number().positive().optional()])),
  /** Journey runs the worker keeps in memory between their tasks; 0 replays every task from its history. */
  CAIRN_WORKFLOW_CACHE_SIZE: z.coerce
    .number()
    .int()
    .min(0)
    .refine((n) => n !== 1, 'must be 0 (no cache) or at least 2')
    .default(DEFAULT_WORKFLOW_CACHE_SIZE),
  /** A workflow bundle made ahead of time (`npm run build` writes dist/workflow-bundle.js); unset, the worker bundles workflows/ at start. */
  CAIRN_WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /** host:port where the worker serves Prometheus metrics at `/metrics`, Cairn's and the Temporal SDK's; unset, none. */
  CAIRN_WORKER_METRICS_ADDRESS: z.string().regex(/^[\w.:[\]-]+:\d+$/, 'must be host:port').optional(),
  /** The API's journey simulations: Temporal's time-skipping test server binary (scripts/install-servers.sh installs it). */
  CAIRN_TEST_SERVER: z.string().min(1).default(path.join('.cairn', 'bin', 'temporal-test-server')),
  /** Simulations the API runs at once, each on a test server of its own; more are refused with 503. */
  CAIRN_SIMULATIONS: z.coerce.number().int().min(1).max(16).default(2),
});

/** Sends per second per channel across all workers, enforced by Temporal on each channel's task queue. */
export const DEFAULT_SEND_RATES: Record<Channel, number> = { email: 100, sms: 10, push: 500, web: 1_000 };

export interface Config {
  port: number;
  logLevel: LogLevelName;
  apiKeys: string[];
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    tls: boolean;
    tlsCertPath?: string;
    tlsKeyPath?: string;
    apiKey?: string;
  };
  mongodbUri: string;
  email: { smtpUrl: string; from: string; messageIdDomain: string; dkim?: { selector: string; keyFile: string } };
  publicUrl: string;
  /** Signs unsubscribe links and customers' inbox tokens; required by the API and the worker. */
  signingSecret?: string;
  /** Absent when Twilio is not configured: SMS sends then fail as ChannelNotConfigured. */
  sms?: { accountSid: string; authToken: string; from?: string; messagingServiceSid?: string; apiUrl?: string };
  /** Absent when FCM is not configured: push sends then fail as ChannelNotConfigured. */
  push?: { projectId: string; credentialsFile?: string; localAddress?: string; caFile?: string };
  sendRates: Record<Channel, number>;
  worker: {
    /** Journey runs kept in memory between their workflow tasks (maxCachedWorkflows). */
    workflowCacheSize: number;
    /** The file of a workflow bundle made ahead of time, if any. */
    workflowBundle?: string;
    /** host:port of the worker's Prometheus endpoint (workers/metrics-server.ts), if any. */
    metricsAddress?: string;
  };
  /** Journey simulations (lib/simulation-hosts.ts), run by the API. */
  simulation: { testServerPath: string; workflowBundlePath: string; maxConcurrent: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset (docker compose passes `${VAR:-}` through as "").
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (Boolean(e.TEMPORAL_TLS_CERT) !== Boolean(e.TEMPORAL_TLS_KEY)) problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together');
  const twilioSet = [e.TWILIO_ACCOUNT_SID, e.TWILIO_AUTH_TOKEN].filter(Boolean).length;
  if (twilioSet === 1) problems.push('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together');
  if (twilioSet === 2 && !e.TWILIO_FROM === !e.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push('Twilio needs exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID');
  }
  if (Boolean(e.EMAIL_DKIM_SELECTOR) !== Boolean(e.EMAIL_DKIM_KEY_FILE)) problems.push('EMAIL_DKIM_SELECTOR and EMAIL_DKIM_KEY_FILE go together');
  if (Boolean(e.FCM_LOCAL_ADDRESS) !== Boolean(e.FCM_CA_FILE)) problems.push('FCM_LOCAL_ADDRESS and FCM_CA_FILE go together');
  if (e.FCM_LOCAL_ADDRESS && !e.FIREBASE_PROJECT_ID) problems.push('FCM_LOCAL_ADDRESS needs FIREBASE_PROJECT_ID');
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  const rates = e as unknown as Record<string, number | undefined>;
  return {
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    apiKeys: (e.CAIRN_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      tls: e.TEMPORAL_TLS || Boolean(e.TEMPORAL_TLS_CERT) || Boolean(e.TEMPORAL_API_KEY),
      tlsCertPath: e.TEMPORAL_TLS_CERT,
      tlsKeyPath: e.TEMPORAL_TLS_KEY,
      apiKey: e.TEMPORAL_API_KEY,
    },
    mongodbUri: e.MONGODB_URI,
    email: {
      smtpUrl: e.SMTP_URL,
      from: e.EMAIL_FROM,
      messageIdDomain: domainOf(e.EMAIL_FROM),
      ...(e.EMAIL_DKIM_SELECTOR && e.EMAIL_DKIM_KEY_FILE ? { dkim: { selector: e.EMAIL_DKIM_SELECTOR, keyFile: e.EMAIL_DKIM_KEY_FILE } } : {}),
    },
    publicUrl: (e.CAIRN_PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    signingSecret: e.CAIRN_SIGNING_SECRET,
    ...(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
      ? {
          sms: {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            ...(e.TWILIO_FROM ? { from: e.TWILIO_FROM } : {}),
            ...(e.TWILIO_MESSAGING_SERVICE_SID ? { messagingServiceSid: e.TWILIO_MESSAGING_SERVICE_SID } : {}),
            ...(e.TWILIO_API_URL ? { apiUrl: e.TWILIO_API_URL.replace(/\/+$/, '') } : {}),
          },
        }
      : {}),
    ...(e.FIREBASE_PROJECT_ID
      ? {
          push: {
            projectId: e.FIREBASE_PROJECT_ID,
            ...(e.GOOGLE_APPLICATION_CREDENTIALS ? { credentialsFile: e.GOOGLE_APPLICATION_CREDENTIALS } : {}),
            ...(e.FCM_LOCAL_ADDRESS ? { localAddress: e.FCM_LOCAL_ADDRESS, caFile: e.FCM_CA_FILE } : {}),
          },
        }
      : {}),
    sendRates: Object.fromEntries(CHANNELS.map((c) => [c, rates[`CAIRN_SEND_RATE_${c.toUpperCase()}`] ?? DEFAULT_SEND_RATES[c]])) as Record<Channel, number>,
    worker: {
      workflowCacheSize: e.CAIRN_WORKFLOW_CACHE_SIZE,
      ...(e.CAIRN_WORKFLOW_BUNDLE ? { workflowBundle: e.CAIRN_WORKFLOW_BUNDLE } : {}),
      ...(e.CAIRN_WORKER_METRICS_ADDRESS ? { metricsAddress: e.CAIRN_WORKER_METRICS_ADDRESS } : {}),
    },
    simulation: {
      testServerPath: path.resolve(e.CAIRN_TEST_SERVER),
      // Beside the compiled lib/: dist/workflow-bundle.js, as `npm run build` writes it.
      workflowBundlePath: path.resolve(e.CAIRN_WORKFLOW_BUNDLE ?? path.join(__dirname, '..', 'workflow-bundle.js')),
      maxConcurrent: e.CAIRN_SIMULATIONS,
    },
  };
}

function domainOf(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match ? match[1] : 'cairn.local';
}

/** The API and the worker sign and check links with this secret; they refuse to start without it. */
export function requireSigningSecret(config: Config): string {
  if (!config.signingSecret) {
    throw new ConfigError('invalid configuration:\n  CAIRN_SIGNING_SECRET: required (32+ characters, the same for the API and the worker); it signs unsubscribe links and inbox tokens');
  }
  return config.signingSecret;
}

/** The channels this configuration has a provider for: email and the web inbox always. */
export function configuredChannels(config: Pick<Config, 'sms' | 'push'>): Channel[] {
  return CHANNELS.filter((c) => (c === 'sms' ? Boolean(config.sms) : c === 'push' ? Boolean(config.push) : true));
}

/** What to set for a channel without a provider, for error messages. */
export const CHANNEL_SETUP: Record<Channel, string> = {
  email: 'SMTP_URL',
  sms: 'TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM',
  push: 'FIREBASE_PROJECT_ID',
  web: '',
};

/** Why nothing can go out on a channel: the journeys API refuses such steps, and test sends. */
export const notConfiguredMessage = (channel: Channel) => `no provider is configured for channel ${channel} (set ${CHANNEL_SETUP[channel]})`;
