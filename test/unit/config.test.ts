import { ConfigError, loadConfig } from '../../lib/config';
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
    });
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
