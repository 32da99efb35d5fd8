// Engagement tracking: the open pixel and click redirects of an email, and the open token a push
// notification carries. Pure.
//
// Each link is a signed token (core/signed-token.ts) naming the send, and for a click the exact
// URL the rendered message held: the redirect follows only what the token says, never anything
// from the request, so it cannot be used as an open redirect. Tokens never expire, like
// unsubscribe links: a link in an old email must still lead where it did.
import { createHash } from 'node:crypto';
import { MESSAGE_CLICKED, MESSAGE_OPENED } from './engagement';
import { decodeHtmlEntities } from './html-text';
import { sign, verify, type TokenProblem } from './signed-token';


const OPEN_PURPOSE = 'message-open';
const CLICK_PURPOSE = 'message-click';

/** The public paths of the pixel and of the click redirect (api/routes/engagement.ts). */
export const OPEN_PATH = '/t/o/';
export const CLICK_PATH = '/t/c/';

/** What an email template tracks (its `tracking` field); both default to on. */
export interface EmailTracking {
  opens?: boolean;
  clicks?: boolean;
}

export const openToken = (secret: string, sendKey: string): string => sign(secret, OPEN_PURPOSE, { k: sendKey });

export const clickToken = (secret: string, sendKey: string, url: string): string => sign(secret, CLICK_PURPOSE, { k: sendKey, u: url });

export type ReadToken<T> = ({ ok: true } & T) | { ok: false; reason: TokenProblem };

export function readOpenToken(secret: string, token: string): ReadToken<{ sendKey: string }> {
  const verified = verify(secret, OPEN_PURPOSE, token);
  if (!verified.ok) return verified;
  const { k } = verified.payload;
  return k ? { ok: true, sendKey: k } : { ok: false, reason: 'malformed' };
}

export function readClickToken(secret: string, token: string): ReadToken<{ sendKey: string; url: string }> {
  const verified = verify(secret, CLICK_PURPOSE, token);
  if (!verified.ok) return verified;
  const { k, u } = verified.payload;
  return k && u && trackableUrl(u) ? { ok: true, sendKey: k, url: u } : { ok: false, reason: 'malformed' };
}

/** Only web links are wrapped (and followed): not mailto:, tel:, anchors or relative links. */
function trackableUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 40);

/** One `message_opened` per send: repeated pixel loads, proxies and prefetches are duplicates of it. */
export const openedEventId = (sendKey: string): string => `${MESSAGE_OPENED}.${digest(sendKey)}`;

/** One `message_clicked` per send and link. */
export const clickedEventId = (sendKey: string, url: string): string => `${MESSAGE_CLICKED}.${digest(`${sendKey}\n${url}`)}`;

/** Builds a send's tracking URLs on the API's public base URL (CAIRN_PUBLIC_URL). */
export function engagementLinks(publicUrl: string, secret: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    /** The token a push notification carries for the app's open call (POST /v1/push/opened). */
    openToken: (sendKey: string) => openToken(secret, sendKey),
    /**
     * The email's HTML with an open pixel and its web links through the click redirect, as the
     * template's `tracking` allows. Links to this server (the unsubscribe link) stay as they are.
     */
    trackEmail(sendKey: string, html: string, tracking: EmailTracking = {}): string {
      return trackEmailHtml(html, {
        ...(tracking.opens !== false ? { pixel: `${base}${OPEN_PATH}${openToken(secret, sendKey)}` } : {}),
        ...(tracking.clicks !== false
          ? { click: (url: string) => (url.startsWith(`${base}/`) ? undefined : `${base}${CLICK_PATH}${clickToken(secret, sendKey, url)}`) }
          : {}),
      });
    },
  };
}

export type EngagementLinks = ReturnType<typeof engagementLinks>;

/** An `<a>` with this attribute keeps its link as written (a link the recipient should see untouched). */
export const NO_TRACK_ATTRIBUTE = 'data-cairn-notrack';

export interface HtmlTracking {
  /** The open pixel's URL; absent: no pixel. */
  pixel?: string;
  /** The URL a web link is rewritten to, or undefined to keep it; absent: links stay. */
  click?: (url: string) => string | undefined;
}

/**
 * Rewrites the `href` of each `<a>` whose link is http(s) to `click(url)`, where `url` is the
 * link as a browser reads it (character references decoded, trimmed), and adds the pixel before
 * `</body>` (or at the end). Everything else is left byte for byte as it was.
 */
export function trackEmailHtml(html: string, tracking: HtmlTracking): string {
  let out = html;
  if (tracking.click) {
    const click = tracking.click;
    const edits: { start: number; end: number; text: string }[] = [];
    for (const tag of anchorTags(html)) {
      const href = tag.attributes.find((a) => a.name === 'href');
      if (!href || tag.attributes.some((a) => a.name === NO_TRACK_ATTRIBUTE)) continue;
      const url = decodeHtmlEntities(href.value).trim();
      if (!trackableUrl(url)) continue;
      const rewritten = click(url);
      if (rewritten !== undefined) edits.push({ start: href.start, end: href.end, text: `"${rewritten.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}"` });
    }
    for (const edit of edits.reverse()) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  if (tracking.pixel) {
    const pixel = `<img src="${tracking.pixel}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`;
    const body = out.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
    out = body >= 0 ? out.slice(0, body) + pixel + out.slice(body) : out + pixel;
  }
  return out;
}

interface AnchorTag {
  /** Lower-cased names; `start`/`end` bound the value as written, quotes included. */
  attributes: { name: string; value: string; start: number; end: number }[];
}

/**
 * The `<a>` start tags of the HTML with their attributes, read as the HTML tokenizer reads
 * them (quoted values may hold `>`; unquoted ones end at whitespace or `>`). Comments and the
 * text of `<script>` and `<style>` hold no tags: a quote or an `<a` there is passed over (an
 * unterminated one runs to the end). A tag left unterminated ends the scan: nothing after it is
 * rewritten.
 */
function anchorTags(html: string): AnchorTag[] {
  const tags: AnchorTag[] = [];
  const open = /<!--[\s\S]*?(?:-->|$)|<(script|style)(?=[\s/>])[\s\S]*?(?:<\/\1\s*>|$)|<a(?=[\s/>])/gi;
  const name = /[^\s/>=][^\s/>=]*/y;
  const unquoted = /[^\s>]*/y;
  for (let m = open.exec(html); m; m = open.exec(html)) {
    if (m[0].length > 2) {
      // A comment, script or style: the scan goes on after it. An empty match at the end stops it.
      if (open.lastIndex >= html.length) break;
      continue;
    }
    let pos = m.index + 2;
    const attributes: AnchorTag['attributes'] = [];
    for (;;) {
      while (pos < html.length && /[\s/]/.test(html[pos])) pos++;
      if (pos >= html.length) return tags;
      if (html[pos] === '>') break;
      name.lastIndex = pos;
      const found = name.exec(html);
      if (!found) {
        pos++;
        continue;
      }
      pos = name.lastIndex;
      while (pos < html.length && /\s/.test(html[pos])) pos++;
      if (html[pos] !== '=') {
        attributes.push({ name: found[0].toLowerCase(), value: '', start: pos, end: pos });
        continue;
      }
      pos++;
      while (pos < html.length && /\s/.test(html[pos])) pos++;
      const start = pos;
      let value: string;
      if (html[pos] === '"' || html[pos] === "'") {
        const close = html.indexOf(html[pos], pos + 1);
        if (close < 0) return tags;
        value = html.slice(pos + 1, close);
        pos = close + 1;
      } else {
        unquoted.lastIndex = pos;
        value = unquoted.exec(html)![0];
        pos = unquoted.lastIndex;
      }
      attributes.push({ name: found[0].toLowerCase(), value, start, end: pos });
    }
    tags.push({ attributes });
    open.lastIndex = pos + 1;
  }
  return tags;
}
