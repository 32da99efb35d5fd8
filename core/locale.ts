// Time zones and language tags as customers carry them. Pure.
import { z } from 'zod';

/** True for an IANA zone name ("Europe/Paris", "UTC"); abbreviations such as "EST" are refused. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.includes('/') || zone === 'UTC';
  } catch {
    return false;
  }
}

/** The canonical form of a BCP 47 tag ("en-gb" → "en-GB"), or undefined when it is not one. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** An IANA time zone, as every API field that names one is checked. */
export const timeZoneSchema = z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/Paris" or "UTC"');
