import {
  clickedEventId,
  clickToken,
  engagementLinks,
  openedEventId,
  openToken,
  readClickToken,
  readOpenToken,
  trackEmailHtml,
} from '../../core/engagement-links';
import { ID_PATTERN } from '../../core/ids';
import { unsubscribeToken } from '../../core/unsubscribe-links';

const SECRET = 'unit-test-secret-0123456789abcdef';
const KEY = 'journey:welcome:cust-1:1:hello:1';
const BASE = 'https://cairn.example.com';

/** A click rewrite that shows which URL it was given. */
const marked = { click: (url: string) => `CLICK(${url})` };

describe('email link rewriting', () => {
  it('when an email has web links, then each href becomes the click URL of the link as a browser reads it', () => {
    const html = '<p><a href="https://shop.example/a?x=1&amp;y=2">A</a> <A HREF=\'http://localhost:8080/b\' class="c">B</A></p>';
    expect(trackEmailHtml(html, marked)).toBe(
      '<p><a href="CLICK(https://shop.example/a?x=1&amp;y=2)">A</a> <A HREF="CLICK(http://localhost:8080/b)" class="c">B</A></p>',
    );
  });

  it('when links are not web links, then they stay byte for byte', () => {
    const html = '<a href="mailto:help@example.com">m</a><a href="tel:+441234">t</a><a href="#top">#</a><a href="/relative">r</a><a name="x">n</a><a href="javascript:alert(1)">j</a>';
    expect(trackEmailHtml(html, marked)).toBe(html);
  });

  it('when an attribute value holds ">" or the href is unquoted, then the tag is still read as the HTML tokenizer reads it', () => {
    const html = '<a title="a > b" href=https://x.example/p?q=1>x</a><abbr href="https://no.example">y</abbr>';
    expect(trackEmailHtml(html, marked)).toBe('<a title="a > b" href="CLICK(https://x.example/p?q=1)">x</a><abbr href="https://no.example">y</abbr>');
  });

  it('when a link carries data-cairn-notrack, or click returns undefined, then it is kept', () => {
    const html = '<a data-cairn-notrack href="https://a.example/">a</a><a href="https://b.example/">b</a>';
    expect(trackEmailHtml(html, { click: (url) => (url.includes('b.') ? undefined : 'X') })).toBe(html);
  });

  it('when a tag is left unterminated, then nothing from it on is rewritten', () => {
    const html = '<a href="https://a.example/">a</a><a href="https://b.example/';
    expect(trackEmailHtml(html, marked)).toBe('<a href="CLICK(https://a.example/)">a</a><a href="https://b.example/');
  });

  it('when a comment, script or style holds a quote or an <a, then it is passed over and the links after it are rewritten', () => {
    const html = [
      '<!-- Outlook needs "this <a href="https://c.example/"> -->',
      '<style>a[href^="https://s.example"] { color: red }</style>',
      '<script type="text/x-template"><a href="https://t.example/">t</a></script>',
      '<a href="https://a.example/">a</a>',
    ].join('');
    expect(trackEmailHtml(html, marked)).toBe(html.replace('<a href="https://a.example/">', '<a href="CLICK(https://a.example/)">'));
    // One left open runs to the end, as a browser reads it: nothing in it is a link.
    expect(trackEmailHtml('<a href="https://a.example/">a</a><!-- <a href="https://b.example/">', marked)).toBe(
      '<a href="CLICK(https://a.example/)">a</a><!-- <a href="https://b.example/">',
    );
  });

  it('when a pixel is asked for, then it goes before the last </body>, or at the end without one', () => {
    const pixel = '<img src="P" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">';
    expect(trackEmailHtml('<html><body>Hi</body></html>', { pixel: 'P' })).toBe(`<html><body>Hi${pixel}</body></html>`);
    expect(trackEmailHtml('<p>Hi</p>', { pixel: 'P' })).toBe(`<p>Hi</p>${pixel}`);
  });

  it('when a rewritten URL holds & or ", then it is escaped in the attribute', () => {
    expect(trackEmailHtml('<a href="https://a.example/">a</a>', { click: () => 'https://t.example/?a=1&b="2"' })).toBe(
      '<a href="https://t.example/?a=1&amp;b=&quot;2&quot;">a</a>',
    );
  });
});

describe('engagement links of a send', () => {
  const links = engagementLinks(`${BASE}/`, SECRET);

  it('when an email is tracked, then links go through signed click tokens carrying the exact URL, and the pixel names the send', () => {
    const html = links.trackEmail(KEY, '<body><a href="https://shop.example/x?a=1&amp;b=2">Shop</a></body>');
    const click = /href="https:\/\/cairn\.example\.com\/t\/c\/([^"]+)"/.exec(html)![1];
    expect(readClickToken(SECRET, click)).toEqual({ ok: true, sendKey: KEY, url: 'https://shop.example/x?a=1&b=2' });
    const open = /src="https:\/\/cairn\.example\.com\/t\/o\/([^"]+)"/.exec(html)![1];
    expect(readOpenToken(SECRET, open)).toEqual({ ok: true, sendKey: KEY });
  });

  it('when a link goes to this server (the unsubscribe link), then it is not wrapped', () => {
    const unsubscribe = `${BASE}/unsubscribe/${unsubscribeToken(SECRET, 'cust-1', 'welcome')}`;
    const html = `<a href="${unsubscribe}">Unsubscribe</a>`;
    expect(links.trackEmail(KEY, html, { opens: false })).toBe(html);
  });

  it('when the template turns tracking off, then there is no pixel, or no rewritten link', () => {
    const html = '<body><a href="https://shop.example/">Shop</a></body>';
    expect(links.trackEmail(KEY, html, { opens: false, clicks: false })).toBe(html);
    expect(links.trackEmail(KEY, html, { clicks: false })).toMatch(/^<body><a href="https:\/\/shop\.example\/">Shop<\/a><img src="https:\/\/cairn\.example\.com\/t\/o\//);
    expect(links.trackEmail(KEY, html, { opens: false })).not.toContain('<img');
  });

  it('when a token is altered, signed with another secret, or of the other kind, then it is refused', () => {
    const click = clickToken(SECRET, KEY, 'https://shop.example/');
    const [body, mac] = click.split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'message-click', d: { k: KEY, u: 'https://evil.example/' } })).toString('base64url');
    expect(readClickToken(SECRET, `${forged}.${mac}`)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(readClickToken(SECRET, clickToken('another-secret', KEY, 'https://shop.example/'))).toEqual({ ok: false, reason: 'bad-signature' });
    expect(readClickToken(SECRET, openToken(SECRET, KEY))).toEqual({ ok: false, reason: 'wrong-purpose' });
    expect(readOpenToken(SECRET, click)).toEqual({ ok: false, reason: 'wrong-purpose' });
    expect(readClickToken(SECRET, `${body}.`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('when a signed click token names a URL that is not a web link, then it is refused', () => {
    expect(readClickToken(SECRET, clickToken(SECRET, KEY, 'javascript:alert(1)'))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('when event IDs are derived, then they are valid event IDs, one per send for opens and one per send and link for clicks', () => {
    expect(openedEventId(KEY)).toMatch(ID_PATTERN);
    expect(openedEventId(KEY)).toBe(openedEventId(KEY));
    expect(openedEventId(KEY)).not.toBe(openedEventId(`${KEY}0`));
    expect(clickedEventId(KEY, 'https://a.example/')).toMatch(ID_PATTERN);
    expect(clickedEventId(KEY, 'https://a.example/')).not.toBe(clickedEventId(KEY, 'https://b.example/'));
  });
});
