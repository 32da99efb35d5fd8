// The real `twilio` client, optionally pointed at another base URL (the local Twilio server):
// the package has no base-URL option, so a RequestClient subclass rewrites each request's URI.
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { Config } from './config';

export type TwilioClient = twilio.Twilio;

const TWILIO_API = 'https://api.twilio.com';
/** Well inside the send activity's two minutes, so a hung request ends in a retry, not an overlap. */
const REQUEST_TIMEOUT_MS = 15_000;

class CairnRequestClient extends twilio.RequestClient {
  constructor(private readonly baseUrl: string | undefined) {
    super({ timeout: REQUEST_TIMEOUT_MS });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    if (!this.baseUrl) return super.request(opts);
    // The client hands over absolute URIs (paging links too), e.g. https://api.twilio.com/2010-04-01/...
    const uri = opts.uri.startsWith(TWILIO_API) ? this.baseUrl + opts.uri.slice(TWILIO_API.length) : opts.uri;
    return super.request({ ...opts, uri });
  }
}

export function createTwilioClient(sms: NonNullable<Config['sms']>): TwilioClient {
  return twilio(sms.accountSid, sms.authToken, { httpClient: new CairnRequestClient(sms.apiUrl?.replace(/\/+$/, '')) });
}
