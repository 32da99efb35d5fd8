import { StreamPosition } from '../../core/inbox-cursor';

const at = (id: string, ms: number) => ({ _id: id, createdAt: new Date(ms) });

describe('inbox stream positions', () => {
  it('when a message is created after the watermark and not yet delivered, then the stream lacks it', () => {
    const position = StreamPosition.at(1_000);
    expect(position.lacks(at('old', 1_000))).toBe(false);
    expect(position.lacks(at('new', 1_001))).toBe(true);
    position.delivered(at('new', 1_001));
    expect(position.lacks(at('new', 1_001))).toBe(false);
  });

  it('when encoded and decoded, then the position still knows what was delivered after its watermark', () => {
    const position = StreamPosition.at(1_000);
    position.delivered(at('a', 1_500));
    position.delivered(at('b', 2_000));
    const again = StreamPosition.decode(position.encode())!;
    again.learn([at('a', 1_500), at('b', 2_000), at('c', 1_200)]);
    expect([at('a', 1_500), at('b', 2_000), at('c', 1_200)].filter((m) => again.lacks(m)).map((m) => m._id)).toEqual(['c']);
  });

  it('when the watermark advances, then messages at or under it are forgotten from the cursor', () => {
    const position = StreamPosition.at(1_000);
    position.delivered(at('a', 1_500));
    position.delivered(at('b', 2_500));
    position.advance(2_000);
    const decoded = JSON.parse(Buffer.from(position.encode(), 'base64url').toString());
    expect(decoded).toEqual({ w: 2_000, a: [expect.any(String)] });
    const again = StreamPosition.decode(position.encode())!;
    again.learn([at('b', 2_500)]);
    expect(again.lacks(at('b', 2_500))).toBe(false);
    position.advance(1_000);
    expect(position.since).toEqual(new Date(2_000));
  });

  it('when a decoded cursor names a message that no longer exists, then it is dropped', () => {
    const position = StreamPosition.at(1_000);
    position.delivered(at('gone', 1_500));
    const again = StreamPosition.decode(position.encode())!;
    again.learn([]);
    expect(JSON.parse(Buffer.from(again.encode(), 'base64url').toString()).a).toEqual([]);
  });

  it('when a message ID is hundreds of characters long, then the cursor stays short', () => {
    const position = StreamPosition.at(0);
    for (let i = 0; i < 100; i++) position.delivered(at(`journey:${'j'.repeat(128)}:${'c'.repeat(128)}:1:${'s'.repeat(128)}:${i}`, 1_000 + i));
    expect(position.encode().length).toBeLessThan(1_000);
  });

  it.each([
    ['not base64url', 'a.b'],
    ['not JSON', 'bm90IGpzb24'],
    ['a wrong shape', Buffer.from('{"w":"x","a":[]}').toString('base64url')],
    ['naming messages some other way', Buffer.from('{"w":1,"a":["message-1"]}').toString('base64url')],
  ])(
    'when the text is %s, then it is no cursor',
    (_what, text) => {
      expect(StreamPosition.decode(text)).toBeUndefined();
    },
  );
});
