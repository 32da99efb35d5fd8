// The Cairn HTTP API as the CLI uses it: JSON in and out, the API key on every call, and
// failures in words a user can act on (server unreachable, key refused, an error answer with
// the fields it names).

export interface Connection {
  url: string;
  key: string;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

interface ErrorDetail {
  field: string;
  message: string;
}

/** An error answer of the API: its status, message and the fields it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** The server could not be reached, or did not answer as the Cairn API does. */
export class ConnectionError extends Error {}

const TIMEOUT_MS = 30_000;

export interface ApiClient {
  readonly url: string;
  /** A 2xx answer; ConnectionError for no answer or a refused key, ApiError for other error answers. */
  request(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  get(path: string): Promise<unknown>;
  /** The resource, or undefined when the API answers 404. */
  find(path: string): Promise<unknown>;
  /** Every item of a paged list (`items`, `next`). */
  list(path: string): Promise<Record<string, unknown>[]>;
}

export function apiClient(connection: Connection): ApiClient {
  const base = connection.url.replace(/\/+$/, '');

  async function request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${connection.key}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new ConnectionError(`cannot reach the Cairn API at ${base} (${why}): is it running? Set CAIRN_API_URL or --api-url`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ConnectionError(`${base}${path} answered ${res.status} with something other than JSON: is ${base} the Cairn API?`);
    }
    if (res.status === 401 || res.status === 403) {
      throw new ConnectionError(`the Cairn API at ${base} refused the API key (${res.status}): check CAIRN_API_KEY or --api-key`);
    }
    if (res.ok) return { status: res.status, body: parsed };
    const error = (parsed as { error?: { message?: string; details?: ErrorDetail[] } } | undefined)?.error;
    throw new ApiError(res.status, error?.message ?? `${method} ${path} answered ${res.status}`, error?.details ?? []);
  }

  return {
    url: base,
    request,
    async get(path) {
      return (await request('GET', path)).body;
    },
    async find(path) {
      try {
        return (await request('GET', path)).body;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    async list(path) {
      const items: Record<string, unknown>[] = [];
      let after: string | undefined;
      do {
        const page = (await request('GET', `${path}?limit=200${after ? `&after=${encodeURIComponent(after)}` : ''}`)).body as {
          items: Record<string, unknown>[];
          next?: string;
        };
        items.push(...page.items);
        after = page.next;
      } while (after);
      return items;
    },
  };
}
