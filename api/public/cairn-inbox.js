/*
 * Cairn web inbox: a bell with an unread badge and a list of messages, live over server-sent
 * events. Plain browser JavaScript, no dependencies, no build.
 *
 *   CairnInbox.mount({ baseUrl: 'https://cairn.example.com', token: '<inbox token>', element: el })
 *
 * `token` is a string, or a function returning one (or a promise of one), asked again whenever
 * the server refuses the current token. Message text only ever goes in through textContent.
 */
(function () {
  'use strict';

  var STYLE_ID = 'cairn-inbox-style';
  var CSS =
    '.cairn-inbox{position:relative;display:inline-block;font:14px/1.4 system-ui,sans-serif}' +
    '.cairn-inbox-bell{position:relative;font-size:20px;background:none;border:0;cursor:pointer;padding:4px}' +
    '.cairn-inbox-badge{position:absolute;top:0;right:0;min-width:16px;padding:0 4px;border-radius:8px;background:#d33;color:#fff;font-size:11px;line-height:16px;text-align:center}' +
    '.cairn-inbox-panel{position:absolute;right:0;z-index:1000;width:320px;max-height:420px;overflow:auto;background:#fff;color:#222;border:1px solid #ddd;border-radius:6px;box-shadow:0 4px 16px rgba(0,0,0,.15)}' +
    '.cairn-inbox-head{display:flex;justify-content:space-between;align-items:center;padding:8px 12px;border-bottom:1px solid #eee;font-weight:600}' +
    '.cairn-inbox-head button{background:none;border:0;color:#06c;cursor:pointer;font:inherit;font-weight:400}' +
    '.cairn-inbox-list{list-style:none;margin:0;padding:0}' +
    '.cairn-inbox-item{padding:8px 12px;border-bottom:1px solid #f2f2f2;cursor:pointer}' +
    '.cairn-inbox-item.cairn-unread{background:#f3f8ff}' +
    '.cairn-inbox-item strong{display:block}' +
    '.cairn-inbox-item p{margin:2px 0}' +
    '.cairn-inbox-item small,.cairn-inbox-empty{color:#888}' +
    '.cairn-inbox-empty{padding:12px}';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Only web links are followed: a javascript: URL in a message must not run. */
  function safeLink(link) {
    try {
      var url = new URL(link, window.location.href);
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function mount(options) {
    var baseUrl = String(options.baseUrl).replace(/\/+$/, '');
    var element = options.element;
    var limit = options.limit || 20;
    var token = null;
    var messages = []; // newest first
    var unread = 0;
    var source = null;
    var retryTimer = null;
    var failures = 0;
    var interrupted = false;
    var stopped = false;

    if (!document.getElementById(STYLE_ID)) {
      var style = el('style');
      style.id = STYLE_ID;
      style.textContent = CSS;
      document.head.appendChild(style);
    }
    var root = el('div', 'cairn-inbox');
    var bell = el('button', 'cairn-inbox-bell', '\uD83D\uDD14');
    bell.type = 'button';
    bell.setAttribute('aria-expanded', 'false');
    var badge = el('span', 'cairn-inbox-badge');
    bell.appendChild(badge);
    var panel = el('div', 'cairn-inbox-panel');
    panel.hidden = true;
    var head = el('div', 'cairn-inbox-head', 'Inbox');
    var readAllButton = el('button', null, 'Mark all read');
    readAllButton.type = 'button';
    head.appendChild(readAllButton);
    var list = el('ul', 'cairn-inbox-list');
    panel.appendChild(head);
    panel.appendChild(list);
    root.appendChild(bell);
    root.appendChild(panel);
    element.appendChild(root);

    bell.addEventListener('click', function () {
      panel.hidden = !panel.hidden;
      bell.setAttribute('aria-expanded', String(!panel.hidden));
    });
    readAllButton.addEventListener('click', function () {
      api('POST', '/inbox/read-all').then(function (result) {
        messages.forEach(function (m) {
          if (!m.readAt) m.readAt = result.readAt;
        });
        unread = 0;
        render();
      }, report);
    });

    function render() {
      badge.textContent = unread > 99 ? '99+' : String(unread);
      badge.hidden = unread === 0;
      bell.setAttribute('aria-label', 'Inbox, ' + unread + ' unread');
      list.textContent = '';
      if (messages.length === 0) list.appendChild(el('li', 'cairn-inbox-empty', 'No messages yet'));
      messages.forEach(function (m) {
        var item = el('li', 'cairn-inbox-item' + (m.readAt ? '' : ' cairn-unread'));
        item.appendChild(el('strong', null, m.title));
        item.appendChild(el('p', null, m.body));
        item.appendChild(el('small', null, new Date(m.createdAt).toLocaleString()));
        item.addEventListener('click', function () {
          openMessage(m);
        });
        list.appendChild(item);
      });
    }

    function openMessage(m) {
      var link = m.link ? safeLink(m.link) : null;
      var marked = m.readAt ? Promise.resolve() : api('POST', '/inbox/messages/' + encodeURIComponent(m.id) + '/read').then(function (read) {
        markRead([m.id], read.readAt);
      });
      if (!link) {
        marked.catch(report);
        return;
      }
      // Follow the link once the read and the click are recorded (or have failed): leaving the
      // page would cancel them.
      marked
        .catch(report)
        .then(function () {
          return api('POST', '/inbox/messages/' + encodeURIComponent(m.id) + '/click');
        })
        .catch(report)
        .then(function () {
          window.location.href = link;
        });
    }

    function markRead(ids, readAt) {
      var unknown = false;
      ids.forEach(function (id) {
        var m = find(id);
        if (!m) unknown = true;
        else if (!m.readAt) {
          m.readAt = readAt;
          unread = Math.max(0, unread - 1);
        }
      });
      render();
      // A message beyond the loaded page was read elsewhere: only the server knows the count.
      if (unknown) load().catch(report);
    }

    function find(id) {
      for (var i = 0; i < messages.length; i++) if (messages[i].id === id) return messages[i];
      return null;
    }

    function currentToken(renew) {
      if (token && !renew) return Promise.resolve(token);
      var given = typeof options.token === 'function' ? options.token() : options.token;
      return Promise.resolve(given).then(function (t) {
        token = t;
        return t;
      });
    }

    function api(method, path, renewed) {
      return currentToken(false).then(function (t) {
        return fetch(baseUrl + path, { method: method, headers: { Authorization: 'Bearer ' + t } });
      }).then(function (res) {
        if (res.status === 401 && !renewed && typeof options.token === 'function') {
          return currentToken(true).then(function () {
            return api(method, path, true);
          });
        }
        if (!res.ok) throw new Error('Cairn inbox: ' + method + ' ' + path + ' answered ' + res.status);
        return res.json();
      });
    }

    /** The first page and the unread count; returns the stream position just after it. */
    function load() {
      return api('GET', '/inbox/messages?limit=' + limit).then(function (page) {
        messages = page.messages;
        unread = page.unread;
        render();
        return page.lastEventId;
      });
    }

    function connect(lastEventId) {
      if (stopped) return;
      var url = baseUrl + '/inbox/stream?token=' + encodeURIComponent(token) + (lastEventId ? '&lastEventId=' + encodeURIComponent(lastEventId) : '');
      source = new EventSource(url);
      source.addEventListener('open', function () {
        failures = 0;
        // Back after a drop: messages resume from the last event ID, but reads made meanwhile
        // are not replayed, so take the unread count afresh.
        if (interrupted) load().catch(report);
        interrupted = false;
      });
      source.addEventListener('message', function (event) {
        var m = JSON.parse(event.data);
        if (find(m.id)) return;
        messages.unshift(m);
        if (!m.readAt) unread++;
        render();
      });
      source.addEventListener('read', function (event) {
        var data = JSON.parse(event.data);
        markRead(data.ids, data.readAt);
      });
      source.addEventListener('reset', restart);
      source.addEventListener('error', function () {
        // CONNECTING: the browser retries by itself, resuming from the last event ID.
        // CLOSED: it gave up (the token expired, say): start over with a fresh token.
        interrupted = true;
        if (source && source.readyState === EventSource.CLOSED) restart(true);
      });
    }

    function restart(renew) {
      if (source) source.close();
      source = null;
      interrupted = false; // the reload below re-syncs
      clearTimeout(retryTimer);
      if (stopped) return;
      var delay = renew === true ? Math.min(30000, 1000 * Math.pow(2, failures++)) : 0;
      retryTimer = setTimeout(function () {
        currentToken(renew === true)
          .then(load)
          .then(connect)
          .catch(function (err) {
            report(err);
            restart(true);
          });
      }, delay);
    }

    function report(err) {
      if (window.console) console.warn(err);
    }

    render();
    restart(false);

    return {
      /** Stops the stream and removes the widget. */
      unmount: function () {
        stopped = true;
        clearTimeout(retryTimer);
        if (source) source.close();
        if (root.parentNode) root.parentNode.removeChild(root);
      },
    };
  }

  window.CairnInbox = { mount: mount };
})();
