import { currentStatus } from '../../core/delivery-status';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));

describe('currentStatus', () => {
  it('when statuses arrive out of order, then the furthest one stands', () => {
    expect(currentStatus({ delivered: at(2), sent: at(3), queued: at(1) })).toBe('delivered');
  });

  it('when two final statuses are reported, then the first reported stands', () => {
    expect(currentStatus({ undelivered: at(5), delivered: at(4) })).toBe('delivered');
    expect(currentStatus({ undelivered: at(4), delivered: at(5) })).toBe('undelivered');
  });

  it('when a status is unknown or nothing is reported, then it is ignored', () => {
    expect(currentStatus({ mystery: at(9), queued: at(1) })).toBe('queued');
    expect(currentStatus({})).toBeUndefined();
  });

  it('when read comes after delivered, then the message is read', () => {
    expect(currentStatus({ delivered: at(1), read: at(2) })).toBe('read');
  });
});
