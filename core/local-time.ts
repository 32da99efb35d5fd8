// Local wall-clock times in a time zone, for waits such as "next weekday at 09:00 in the
// customer's zone". Pure, but depends on the time-zone data of the runtime: it runs in an
// activity, so a tz-data update cannot change what a recorded workflow history decided.
import type { Weekday } from './journey-steps';

const WEEKDAY_INDEX: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: Weekday;
}

function localParts(instant: Date, zone: string): LocalParts {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAY_INDEX[parts.weekday],
  };
}

/** The instant when the wall clock in `zone` shows the given local date and time. */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, zone: string): Date {
  // Start from the same wall time read as UTC, then correct by the zone's offset there; a
  // second pass settles offsets that change between the two (daylight saving).
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), zone);
    const shown = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wall - shown;
  }
  return new Date(guess);
}

/**
 * The first moment after `now` at which the local time in `zone` is `time` ("HH:MM") on one of
 * the allowed weekdays. A time skipped by a daylight-saving jump falls on the instant after it.
 */
export function nextLocalTime(now: Date, zone: string, time: string, weekdays?: readonly Weekday[]): Date {
  const [hour, minute] = time.split(':').map(Number);
  const today = localParts(now, zone);
  for (let offset = 0; offset <= 7; offset++) {
    const day = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    const candidate = instantOf(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), hour, minute, zone);
    if (candidate <= now) continue;
    if (weekdays && !weekdays.includes(localParts(candidate, zone).weekday)) continue;
    return candidate;
  }
  throw new Error(`no ${time} on ${weekdays?.join(',')} within a week in ${zone}`);
}

/**
 * When quiet hours from `start` to `end` (local "HH:MM", wrapping past midnight when start is
 * later than end) cover `now` in `zone`: the instant they end. Otherwise undefined.
 */
export function quietHoursEnd(now: Date, zone: string, start: string, end: string): Date | undefined {
  const local = localParts(now, zone);
  const minutes = local.hour * 60 + local.minute;
  const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const [from, to] = [toMinutes(start), toMinutes(end)];
  const quiet = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
  return quiet ? nextLocalTime(now, zone, end) : undefined;
}
