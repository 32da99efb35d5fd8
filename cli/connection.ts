// Where the API is and the key to use: flags first, then the environment.
import { apiClient, type ApiClient } from './api-client';
import { stringOption, UsageError, type CommandArgs } from './command';

export const DEFAULT_API_URL = 'http://localhost:3000';

export const CONNECTION_OPTIONS = {
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
} as const;

export const CONNECTION_HELP = [
  `--api-url URL    the Cairn API (default: CAIRN_API_URL, else ${DEFAULT_API_URL})`,
  '--api-key KEY    an API key (default: CAIRN_API_KEY)',
];

export function connect({ values, env }: CommandArgs): ApiClient {
  const url = stringOption(values, 'api-url') ?? env.CAIRN_API_URL ?? DEFAULT_API_URL;
  const key = stringOption(values, 'api-key') ?? env.CAIRN_API_KEY;
  if (!key) throw new UsageError('no API key: set CAIRN_API_KEY or pass --api-key');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`the API URL "${url}" is not a URL (such as ${DEFAULT_API_URL})`);
  }
  return apiClient({ url, key });
}
