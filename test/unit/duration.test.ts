import { MAX_DURATION_MS, parseDuration, parseOffset } from '../../core/duration';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

describe('parseDuration', () => {
  it.each([
    ['45s', 45 * SECOND],
    ['30m', 30 * MINUTE],
    ['2h', 2 * HOUR],
    ['2d', 2 * DAY],
    ['1w', WEEK],
  ])('when given the single-unit duration %p, then it returns its milliseconds', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('when given the combined duration "1d12h", then it returns the sum of its parts', () => {
    expect(parseDuration('1d12h')).toBe(DAY + 12 * HOUR);
  });

  it('when given a combination of every unit, then it adds them all', () => {
    expect(parseDuration('1w2d3h4m5s')).toBe(WEEK + 2 * DAY + 3 * HOUR + 4 * MINUTE + 5 * SECOND);
  });

  it.each([
    ['', 'the empty string'],
    ['0s', 'a zero duration'],
    ['0d0h', 'a combined zero duration'],
    ['2x', 'an unknown unit'],
    ['1.5h', 'a fractional amount'],
    ['-1d', 'a negative amount'],
    ['d', 'a unit without an amount'],
    ['10', 'an amount without a unit'],
    [' 1d', 'leading whitespace'],
    ['1d ', 'trailing whitespace'],
    ['1 d', 'a space between amount and unit'],
    ['1D', 'an upper-case unit'],
  ])('when given %p (%s), then it returns undefined', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('when the duration is exactly ten years (3650 days), then it is accepted', () => {
    expect(parseDuration('3650d')).toBe(3650 * DAY);
    expect(MAX_DURATION_MS).toBe(3650 * DAY);
  });

  it('when the duration is over ten years, then it returns undefined', () => {
    expect(parseDuration('3651d')).toBeUndefined();
    expect(parseDuration('3650d1s')).toBeUndefined();
    expect(parseDuration('522w')).toBeUndefined();
  });

  it('when the amount is too large to represent exactly, then it returns undefined', () => {
    expect(parseDuration('99999999999999999999999d')).toBeUndefined();
  });
});

describe('parseOffset', () => {
  it.each([
    ['-2d', -2 * DAY],
    ['+12h', 12 * HOUR],
    ['1d12h', DAY + 12 * HOUR],
  ])('when given the offset %p, then it returns its signed milliseconds', (text, ms) => {
    expect(parseOffset(text)).toBe(ms);
  });

  it.each(['', '-', '-0d', '2 days', '--2d', '-3651d'])('when given %p, then it is not an offset', (text) => {
    expect(parseOffset(text)).toBeUndefined();
  });
});
