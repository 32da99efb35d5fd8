import path from 'node:path';
import { ConfigError, DEFAULT_WORKFLOW_CACHE_SIZE, loadConfig, requireSigningSecret } from '../../lib/config';
import { JOURNEY_TASK_QUEUE } from '../../core/journey-contract';

/** The ConfigError loadConfig throws for env; fails the test when it throws nothing. */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected loadConfig to refuse ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('when the environment is empty, then every setting takes its default', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      logLevel: 'info',
      apiKeys: [],
      temporal: {
        address: '127.0.0.1:7233',
        namespace: 'default',
        taskQueue: JOURNEY_TASK_QUEUE,
        tls: false,
        tlsCertPath: undefined,
        tlsKeyPath: undefined,
        apiKey: undefined,
      },
      mongodbUri: 'mongodb://127.0.0.1:27017/cairn',
      email: { smtpUrl: 'smtp://127.0.0.1:2525', from: 'Cairn <cairn@localhost>', messageIdDomain: 'localhost' },
      publicUrl: 'http://localhost:3000',
      signingSecret: undefined,
      sendRates: { email: 100, sms: 10, push: 500, web: 1000 },
      worker: { workflowCacheSize: DEFAULT_WORKFLOW_CACHE_SIZE },
      simulation: {
        testServerPath: path.resolve('.cairn/bin/temporal-test-server'),
        workflowBundlePath: path.resolve(__dirname, '../../lib/../workflow-bundle.js'),
        maxConcurrent: 2,
      },
    });
  });

  it('when simulations are configured, then their test server and bound are read; a bound of 0 is refused', () => {
    expect(loadConfig({ CAIRN_TEST_SERVER: '/opt/temporal-test-server', CAIRN_SIMULATIONS: '4', CAIRN_WORKFLOW_BUNDLE: '/app/dist/workflow-bundle.js' }).simulation).toEqual({
      testServerPath: '/opt/temporal-test-server',
      workflowBundlePath: '/app/dist/workflow-bundle.js',
      maxConcurrent: 4,
    });
    expect(configErrorOf({ CAIRN_SIMULATIONS: '0' }).message).toContain('CAIRN_SIMULATIONS');
  });

  it('when the signing secret is missing, then requireSigningSecret names CAIRN_SIGNING_SECRET', () => {
    expect(() => requireSigningSecret(loadConfig({}))).toThrow(/CAIRN_SIGNING_SECRET: required/);
    expect(requireSigningSecret(loadConfig({ CAIRN_SIGNING_SECRET: 'x'.repeat(32) }))).toBe('x'.repeat(32));
    expect(configErrorOf({ CAIRN_SIGNING_SECRET: 'short' }).message).toContain('CAIRN_SIGNING_SECRET: must be at least 32 characters');
  });

  it('when Twilio is configured with a sender, then SMS settings are there; half a configuration is refused', () => {
    const sid = `AC${'a'.repeat(32)}`;
    expect(loadConfig({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15005550006', TWILIO_API_URL: 'http://127.0.0.1:9/' }).sms).toEqual({
      accountSid: sid,
      authToken: 't',
      from: '+15005550006',
      apiUrl: 'http://127.0.0.1:9',
    });
    expect(configErrorOf({ TWILIO_ACCOUNT_SID: sid }).message).toContain('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together');
    expect(configErrorOf({ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 't' }).message).toContain('exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID');
    expect(configErrorOf({ TWILIO_ACCOUNT_SID: 'XX1' }).message).toContain('TWILIO_ACCOUNT_SID: must be AC followed by 32 hex digits');
    expect(loadConfig({}).sms).toBeUndefined();
  });

  it('when FCM is configured locally, then push settings carry the address and CA; a local address needs its CA', () => {
    expect(loadConfig({ FIREBASE_PROJECT_ID: 'p', FCM_LOCAL_ADDRESS: '127.0.0.1:8443', FCM_CA_FILE: '/ca.pem' }).push).toEqual({
      projectId: 'p',
      localAddress: '127.0.0.1:8443',
      caFile: '/ca.pem',
    });
    expect(configErrorOf({ FIREBASE_PROJECT_ID: 'p', FCM_LOCAL_ADDRESS: '127.0.0.1:8443' }).message).toContain('FCM_LOCAL_ADDRESS and FCM_CA_FILE go together');
  });

  it('when a send rate is set, then that channel takes it and the others keep their defaults', () => {
    expect(loadConfig({ CAIRN_SEND_RATE_SMS: '1.5' }).sendRates).toEqual({ email: 100, sms: 1.5, push: 500, web: 1000 });
    expect(configErrorOf({ CAIRN_SEND_RATE_EMAIL: '0' }).message).toContain('CAIRN_SEND_RATE_EMAIL');
  });

  it('when the workflow cache size and metrics address are set, then the worker takes them; 1 and negatives are refused', () => {
    expect(loadConfig({ CAIRN_WORKFLOW_CACHE_SIZE: '500', CAIRN_WORKER_METRICS_ADDRESS: '0.0.0.0:9464' }).worker).toEqual({
      workflowCacheSize: 500,
      metricsAddress: '0.0.0.0:9464',
    });
    expect(loadConfig({ CAIRN_WORKFLOW_CACHE_SIZE: '0' }).worker.workflowCacheSize).toBe(0);
    for (const bad of ['1', '-5', '2.5', 'many']) {
      expect(configErrorOf({ CAIRN_WORKFLOW_CACHE_SIZE: bad }).message).toContain('CAIRN_WORKFLOW_CACHE_SIZE');
    }
    expect(configErrorOf({ CAIRN_WORKER_METRICS_ADDRESS: '9464' }).message).toContain('CAIRN_WORKER_METRICS_ADDRESS: must be host:port');
  });

  it('when LOG_LEVEL names a level, then it is used; another value is refused with the levels', () => {
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(configErrorOf({ LOG_LEVEL: 'verbose' }).message).toContain('LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent');
  });

  it('when PORT is a number, then it is used as a number', () => {
    expect(loadConfig({ PORT: '8080' }).port).toBe(8080);
  });

  it('when CAIRN_API_KEYS lists several keys, then they are split on commas, trimmed and empties dropped', () => {
    expect(loadConfig({ CAIRN_API_KEYS: ' key-one, key-two ,,key-three ,' }).apiKeys).toEqual(['key-one', 'key-two', 'key-three']);
  });

  it.each(['abc', '0', '65536', '80.5', '-1'])('when PORT is %p, then a ConfigError names PORT', (value) => {
    const error = configErrorOf({ PORT: value });
    expect(error.message).toMatch(/^invalid configuration:\n {2}PORT: /);
    expect(error.name).toBe('ConfigError');
  });

  it('when MONGODB_URI is not a mongodb URI, then a ConfigError names MONGODB_URI and the rule', () => {
    const error = configErrorOf({ MONGODB_URI: 'postgres://localhost/cairn' });
    expect(error.message).toContain('MONGODB_URI: must be a mongodb:// or mongodb+srv:// URI');
  });

  it('when MONGODB_URI uses mongodb+srv, then it is accepted', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb+srv://cluster.example.net/cairn' }).mongodbUri).toBe('mongodb+srv://cluster.example.net/cairn');
  });

  it('when SMTP_URL is not an smtp URL, then a ConfigError names SMTP_URL', () => {
    expect(configErrorOf({ SMTP_URL: 'http://mail.example.com' }).message).toContain('SMTP_URL: must be an smtp:// or smtps:// URL');
  });

  it('when several variables are bad, then the ConfigError names each of them', () => {
    const message = configErrorOf({ PORT: 'nope', MONGODB_URI: 'nope', TEMPORAL_TLS: 'yes' }).message;
    expect(message).toContain('PORT: ');
    expect(message).toContain('MONGODB_URI: ');
    expect(message).toContain('TEMPORAL_TLS: ');
  });

  it('when TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY, then it is refused', () => {
    expect(configErrorOf({ TEMPORAL_TLS_CERT: '/etc/cairn/client.pem' }).message).toContain(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together',
    );
  });

  it('when TEMPORAL_TLS_KEY is set without TEMPORAL_TLS_CERT, then it is refused', () => {
    expect(configErrorOf({ TEMPORAL_TLS_KEY: '/etc/cairn/client.key' }).message).toContain(
      'TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together',
    );
  });

  it('when both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY are set, then TLS is on with both paths', () => {
    const { temporal } = loadConfig({ TEMPORAL_TLS_CERT: '/c.pem', TEMPORAL_TLS_KEY: '/c.key' });
    expect(temporal).toMatchObject({ tls: true, tlsCertPath: '/c.pem', tlsKeyPath: '/c.key' });
  });

  it('when TEMPORAL_API_KEY is set, then TLS is turned on', () => {
    const { temporal } = loadConfig({ TEMPORAL_API_KEY: 'secret' });
    expect(temporal.tls).toBe(true);
    expect(temporal.apiKey).toBe('secret');
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('when TEMPORAL_TLS is %p, then tls is %p', (value, tls) => {
    expect(loadConfig({ TEMPORAL_TLS: value }).temporal.tls).toBe(tls);
  });

  it('when TEMPORAL_TLS is not a recognised flag, then a ConfigError names it', () => {
    expect(configErrorOf({ TEMPORAL_TLS: 'yes' }).message).toContain('TEMPORAL_TLS: ');
  });

  it.each([
    ['Cairn <news@mail.example.com>', 'mail.example.com'],
    ['news@example.org', 'example.org'],
    ['"Cairn Team" <hello@brand.example>  ', 'brand.example'],
    ['no-address-here', 'cairn.local'],
  ])('when EMAIL_FROM is %p, then the Message-ID domain is %p', (from, domain) => {
    const { email } = loadConfig({ EMAIL_FROM: from });
    expect(email.from).toBe(from);
    expect(email.messageIdDomain).toBe(domain);
  });
});
