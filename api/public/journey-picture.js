/*
 * Cairn journey picture: draws a journey's published steps as a graph (laid out by dagre) with
 * each step's live numbers from GET /v1/journeys/{id}/stats, refreshed every few seconds.
 * Plain browser JavaScript, no build; served by the API at /assets/journey-picture.js.
 *
 * The API key is asked for once and kept in sessionStorage (this tab, until it closes); it is
 * sent only as the Authorization header, never in a URL. Text from the API only ever goes in
 * through textContent.
 *
 * Every number drawn carries data-stat (its place in the stats answer: `entered`, `now`,
 * `deliveries.skipped:unreachable`, `splits.A`...) and data-value (the number itself), inside
 * an element with data-step (the step ID); totals carry data-total. Tests and tools read those.
 */
(function () {
  'use strict';

  var KEY_STORE = 'cairn.apiKey';
  var REFRESH_MS = 5000;
  // The stats cost a few visibility counts per step: a journey whose stats take long to read is
  // read less often (three times the time its last read took), so open pages cannot pile up load.
  var delay = REFRESH_MS;
  var SVG = 'http://www.w3.org/2000/svg';
  var PAD = 12;
  var ROW = 19;
  var MIN_WIDTH = 188;
  var MAX_TEXT = 300;

  // /<prefix>/journeys/<id>: the API is at /<prefix>/v1 (the page may sit behind a path prefix).
  var match = /^(.*)\/journeys\/([^/]+)\/?$/.exec(window.location.pathname);
  var journeyId = match ? decodeURIComponent(match[2]) : '';
  var apiBase = window.location.origin + (match ? match[1] : '') + '/v1/';

  var $ = function (id) { return document.getElementById(id); };
  var key = null;
  var timer = null;
  var zoom = 'fit';
  var drawn = null; // { signature, width, height, svg }
  var lastGood = null; // Date of the last refresh that succeeded
  var generation = 0; // a new key or a forgotten one ends the refreshes of the old

  // ---- words -------------------------------------------------------------------------------

  var TYPE_LABELS = { send: 'Send', wait: 'Wait', waitForEvent: 'Wait for event', branch: 'Branch', split: 'Split', exit: 'Exit' };
  var TOTALS = [
    ['entered', 'entered', 'Customers who entered the journey (every entry counts once)'],
    ['running', 'running', 'Runs under way and not waiting: between two waits, or a send held'],
    ['waiting', 'waiting', 'Runs waiting: on a wait step or for an event'],
    ['completed', 'completed', 'Runs that reached the end of the journey (its last step, an exit step or the holdout)'],
    ['exited', 'exited', 'Runs that left early: the exit event, leaving the entry segment, or a conversion that ends the run'],
    ['stopped', 'stopped', 'Runs ended by a stop of the journey or of the run'],
    ['converted', 'converted', "Runs that reached the journey's goal (settings.goal) within its window"],
  ];
  var SKIP_WORDS = {
    unreachable: ['no address', 'The customer has no address on the channel (nor on the fallback)'],
    unsubscribed: ['unsubscribed', 'The customer opted out of the channel (and of the fallback)'],
    'journey-stopped': ['journey stopped', 'The journey was stopped before the message went out'],
    'customer-not-found': ['customer deleted', 'The customer was deleted before the message went out'],
  };
  var FAILURE_WORDS = {
    ChannelPermanentRejection: ['provider refused', 'The provider refused the message for good'],
    TemplateNotFound: ['template missing', 'The template the step names is gone'],
    TemplateRenderError: ['template error', 'The template does not render'],
    ChannelNotConfigured: ['no provider', 'No provider is configured for the channel on the worker'],
  };

  /** [label, title] for a `skipped:<reason>` or `failed:<code>` key's reason. */
  function reasonWords(outcome, reason) {
    var known = (outcome === 'skipped' ? SKIP_WORDS : FAILURE_WORDS)[reason];
    if (known) return [known[0], known[1] + ' (' + reason + ')'];
    var cut = reason.indexOf(':');
    var head = cut < 0 ? reason : reason.slice(0, cut);
    var tail = cut < 0 ? '' : reason.slice(cut + 1);
    if (head === 'capped') return ['capped: ' + tail, 'Frequency cap "' + tail + '" had no room left (' + reason + ')'];
    if (head === 'rendered-empty') return ['empty ' + tail, 'The template rendered an empty "' + tail + '" (' + reason + ')'];
    if (head === 'rendered-bad-link') return ['bad link in ' + tail, 'The template rendered a link in "' + tail + '" that is not allowed (' + reason + ')'];
    return [reason, reason];
  }

  function percent(weight, total) {
    var p = (100 * weight) / total;
    return (Math.round(p * 10) / 10) + '%';
  }

  function describeWait(step) {
    if (step.duration) return 'for ' + step.duration;
    if (step.until) return 'until ' + step.until;
    if (step.untilAttribute) return 'until the date in ' + step.untilAttribute;
    if (step.untilLocalTime) {
      var days = step.untilLocalTime.weekdays ? ' on ' + step.untilLocalTime.weekdays.join(', ') : '';
      return 'until ' + step.untilLocalTime.time + ' local time' + days;
    }
    if (step.untilBestTime) return "until the customer's best time within " + step.untilBestTime.within + ' (else ' + step.untilBestTime.default + ' local time)';
    return '';
  }

  function describeEntry(entry) {
    if (!entry || entry.type === 'api') return 'launched through the API';
    if (entry.type === 'segment') return 'joins segment ' + entry.segmentId;
    if (entry.type === 'event') return 'does ' + entry.event;
    return entry.type;
  }

  function conditionLabel(when, i) {
    if (when.segment) return ['in ' + when.segment, 'Case ' + (i + 1) + ': the customer is in segment "' + when.segment + '"'];
    return ['case ' + (i + 1) + ' (rule)', 'Case ' + (i + 1) + ': ' + JSON.stringify(when.rule)];
  }

  // ---- the model: nodes with their lines and numbers, and labelled links ----------------------

  function stat(key, label, value, title, sub) {
    return { key: key, label: label, value: value || 0, title: title, sub: Boolean(sub) };
  }

  /** The rows of numbers of one step, in the order they are drawn. */
  function stepRows(step, s, splits) {
    var rows = [
      stat('entered', 'entered', s.entered, 'Customers who reached this step'),
      stat('now', 'on it now', s.now, 'Customers on this step now: waiting on it, a send held there, or on their way from it to the next wait'),
    ];
    if (step.type === 'send') {
      var d = s.deliveries || {};
      var reasons = function (outcome) {
        return Object.keys(d)
          .filter(function (k) { return k.indexOf(outcome + ':') === 0; })
          .sort()
          .map(function (k) {
            var words = reasonWords(outcome, k.slice(outcome.length + 1));
            return stat('deliveries.' + k, words[0], d[k], words[1], true);
          });
      };
      rows.push(stat('deliveries.sent', 'sent', d.sent, 'Messages handed to the provider'));
      rows.push(stat('deliveries.skipped', 'skipped', d.skipped, 'Sends skipped, by reason below'));
      rows = rows.concat(reasons('skipped'));
      rows.push(stat('deliveries.failed', 'failed', d.failed, 'Sends that failed for good, by reason below'));
      rows = rows.concat(reasons('failed'));
      if (d.claimed) rows.push(stat('deliveries.claimed', 'pending', d.claimed, 'Sends being handed to the provider, or deferred'));
      Object.keys(d)
        .filter(function (k) { return ['sent', 'skipped', 'failed', 'claimed'].indexOf(k) < 0 && k.indexOf(':') < 0; })
        .sort()
        .forEach(function (k) { rows.push(stat('deliveries.' + k, k, d[k], 'Sends recorded as ' + k)); });
      // Sends per channel beside a fallback, or a best-channel send's choices.
      if (step.fallback || step.channel === 'best') {
        if (step.fallback) rows.push(stat('fallbacks', 'on fallback', s.fallbacks, 'Sent messages that went out on the fallback channel (' + step.fallback.channel + ')'));
        var used = s.byChannelUsed || {};
        Object.keys(used).sort().forEach(function (c) {
          rows.push(stat('byChannelUsed.' + c, 'sent by ' + c, used[c], 'Sent messages that went out on ' + c, true));
        });
      }
      var provider = s.provider || {};
      Object.keys(provider).sort().forEach(function (p) {
        rows.push(stat('provider.' + p, p, provider[p], 'Sent messages whose provider last reported "' + p + '"', true));
      });
    }
    if (step.type === 'split') {
      var counts = splits || {};
      step.paths.forEach(function (p) {
        rows.push(stat('splits.' + p.name, 'path ' + p.name, counts[p.name], 'Customers assigned to path "' + p.name + '"'));
      });
      if (step.holdout) rows.push(stat('splits.holdout', 'holdout', counts.holdout, 'Customers held out: they get nothing more from this journey'));
    }
    return rows;
  }

  function stepSettings(step) {
    switch (step.type) {
      case 'send':
        var templates = step.channel === 'best'
          ? step.channels.map(function (c) { return c + ': ' + step.templates[c]; })
          : ['template ' + step.template];
        return (step.channel === 'best' ? ['the channel the customer engages with most'] : [])
          .concat(templates)
          .concat(step.fallback ? ['fallback ' + step.fallback.channel + ': ' + step.fallback.template] : [])
          .concat(step.transactional ? ['transactional'] : [])
          .concat(step.whenCapped === 'defer' ? ['deferred when capped'] : []);
      case 'wait':
        return [describeWait(step)];
      case 'waitForEvent':
        return [step.event + ' within ' + step.timeout].concat(step.match ? ['where ' + JSON.stringify(step.match)] : []);
      case 'branch':
        return [step.cases.length === 1 ? 'one case, else otherwise' : step.cases.length + ' cases: the first that holds'];
      case 'split':
        return ['random, fixed per customer'];
      case 'exit':
        return ['ends the journey here'];
      default:
        return [];
    }
  }

  function buildModel(definition, stats) {
    var nodes = [];
    var edges = [];
    var ends = 0;
    var end = function (from, label, title) {
      var id = 'end:' + ends++;
      nodes.push({ id: id, kind: 'end', name: 'End', lines: [], rows: [] });
      edges.push({ from: from, to: id, label: label, title: title });
    };
    var link = function (from, to, label, title) {
      if (to) edges.push({ from: from, to: 'step:' + to, label: label, title: title });
      else end(from, label, title);
    };
    nodes.push({ id: 'entry', kind: 'entry', type: 'Entry', name: describeEntry(definition.entry), lines: [], rows: [] });
    edges.push({ from: 'entry', to: 'step:' + definition.steps[0].id });

    definition.steps.forEach(function (step) {
      var id = 'step:' + step.id;
      var s = (stats.steps && stats.steps[step.id]) || { entered: 0, now: 0 };
      nodes.push({
        id: id,
        step: step.id,
        kind: step.type,
        type: TYPE_LABELS[step.type] + (step.type === 'send' ? ' · ' + step.channel : ''),
        name: step.id,
        lines: stepSettings(step),
        rows: stepRows(step, s, stats.splits && stats.splits[step.id]),
      });
      switch (step.type) {
        case 'waitForEvent':
          link(id, step.onEvent, step.event, 'When the customer does ' + step.event + ' in time');
          link(id, step.onTimeout, 'timeout ' + step.timeout, 'When ' + step.timeout + ' pass without it');
          break;
        case 'branch':
          step.cases.forEach(function (c, i) {
            var words = conditionLabel(c.when, i);
            link(id, c.next, words[0], words[1]);
          });
          link(id, step.default, 'otherwise', 'When no case holds');
          break;
        case 'split':
          var total = step.paths.reduce(function (sum, p) { return sum + p.weight; }, 0) + (step.holdout ? step.holdout.weight : 0);
          step.paths.forEach(function (p) {
            link(id, p.next, p.name + ' · ' + percent(p.weight, total), 'Path "' + p.name + '": weight ' + p.weight + ' of ' + total);
          });
          if (step.holdout) end(id, 'holdout · ' + percent(step.holdout.weight, total), 'The holdout: weight ' + step.holdout.weight + ' of ' + total + ', gets nothing more');
          break;
        case 'exit':
          break;
        default:
          link(id, step.next);
      }
    });
    return { nodes: nodes, edges: edges };
  }

  // ---- measuring and drawing -------------------------------------------------------------------

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var measurer = null;
  function textWidth(text, className) {
    if (!measurer) {
      var svg = svgEl('svg', { class: 'measure', 'aria-hidden': 'true' });
      measurer = svgEl('text');
      svg.appendChild(measurer);
      document.body.appendChild(svg);
    }
    measurer.setAttribute('class', className);
    measurer.textContent = text;
    return measurer.getComputedTextLength();
  }

  /** The text cut with an ellipsis to fit max pixels. */
  function fit(text, className, max) {
    if (textWidth(text, className) <= max) return text;
    var lo = 0;
    var hi = text.length;
    while (lo < hi) {
      var mid = Math.ceil((lo + hi) / 2);
      if (textWidth(text.slice(0, mid) + '…', className) <= max) lo = mid;
      else hi = mid - 1;
    }
    return text.slice(0, lo) + '…';
  }

  function formatted(n) {
    return Number(n).toLocaleString('en-US');
  }

  /** Sizes each node from its text: header (type, name, settings) above its rows of numbers. */
  function measure(node) {
    if (node.kind === 'end') {
      node.width = Math.ceil(textWidth('End', 'name') + 2 * PAD + 8);
      node.height = 28;
      return;
    }
    var widest = Math.max(
      node.type ? textWidth(node.type, 'type') : 0,
      textWidth(node.name, 'name'),
      Math.max.apply(null, [0].concat(node.lines.map(function (l) { return textWidth(l, 'setting'); }))),
      Math.max.apply(null, [0].concat(node.rows.map(function (r) {
        return textWidth(r.label, r.sub ? 'label sub' : 'label') + (r.sub ? 12 : 0) + 20 + textWidth(formatted(r.value), 'num');
      }))),
    );
    node.width = Math.ceil(Math.max(MIN_WIDTH, Math.min(widest, MAX_TEXT) + 2 * PAD));
    node.headHeight = 10 + (node.type ? 15 : 0) + 19 + node.lines.length * 16 + 6;
    node.height = node.headHeight + (node.rows.length ? node.rows.length * ROW + 10 : 0);
  }

  function rowAria(row) {
    return row.label + ': ' + formatted(row.value);
  }

  function drawNode(node, x, y) {
    var g = svgEl('g', { class: 'node kind-' + node.kind, transform: 'translate(' + x + ',' + y + ')' });
    if (node.step) {
      g.setAttribute('data-step', node.step);
      g.setAttribute('role', 'group');
      g.setAttribute('aria-label', node.type + ' step ' + node.name);
    }
    g.setAttribute('data-kind', node.kind);
    var w = node.width;
    var h = node.height;
    if (node.kind === 'end') {
      g.appendChild(svgEl('rect', { class: 'box', width: w, height: h, rx: h / 2 }));
      g.appendChild(svgEl('text', { class: 'name', x: w / 2, y: h / 2 + 4, 'text-anchor': 'middle' }, 'End'));
      return g;
    }
    var r = 8;
    g.appendChild(svgEl('rect', { class: 'box', width: w, height: h, rx: r }));
    if (node.kind !== 'entry') {
      // The header's tint, its top corners rounded as the box's, then the outline over it.
      var hh = node.headHeight;
      var arc = ' A' + r + ',' + r + ' 0 0 1 ';
      g.appendChild(svgEl('path', { class: 'head', d: 'M0,' + hh + ' V' + r + arc + r + ',0 H' + (w - r) + arc + w + ',' + r + ' V' + hh + ' Z' }));
      g.appendChild(svgEl('rect', { class: 'outline', width: w, height: h, rx: r }));
    }
    var max = w - 2 * PAD;
    var ty = 10;
    if (node.type) {
      ty += 11;
      g.appendChild(svgEl('text', { class: 'type', x: PAD, y: ty }, fit(node.type, 'type', max)));
      ty += 4;
    }
    ty += 15;
    var name = svgEl('text', { class: 'name', x: PAD, y: ty }, fit(node.name, 'name', max));
    g.appendChild(name);
    node.lines.forEach(function (line) {
      ty += 16;
      var t = svgEl('text', { class: 'setting', x: PAD, y: ty }, fit(line, 'setting', max));
      if (t.textContent !== line) t.appendChild(svgEl('title', {}, line));
      g.appendChild(t);
    });
    if (!node.rows.length) return g;
    var y0 = node.headHeight;
    g.appendChild(svgEl('line', { class: 'divider', x1: 0, x2: w, y1: y0, y2: y0 }));
    var list = svgEl('g', { role: 'list', 'aria-label': 'Numbers of step ' + node.name });
    node.rows.forEach(function (row, i) {
      var top = y0 + 5 + i * ROW;
      var rg = svgEl('g', { class: 'row', role: 'listitem', 'aria-label': rowAria(row) });
      rg.appendChild(svgEl('title', {}, row.title));
      rg.appendChild(svgEl('rect', { class: 'row-hit', x: 1, y: top, width: w - 2, height: ROW }));
      var indent = row.sub ? 12 : 0;
      var room = max - indent - 20 - textWidth(formatted(row.value), 'num');
      rg.appendChild(svgEl('text', { class: row.sub ? 'label sub' : 'label', x: PAD + indent, y: top + 14 }, fit(row.label, row.sub ? 'label sub' : 'label', room)));
      var num = svgEl('text', { class: numClass(row), x: w - PAD, y: top + 14, 'text-anchor': 'end', 'data-stat': row.key, 'data-value': String(row.value) }, formatted(row.value));
      rg.appendChild(num);
      list.appendChild(rg);
    });
    g.appendChild(list);
    return g;
  }

  function numClass(row) {
    return 'num' + (row.sub ? ' sub' : '') + (row.value === 0 ? ' zero' : '');
  }

  /** A smooth path through dagre's points: straight ends, rounded bends. */
  function edgePath(points) {
    var d = 'M' + points[0].x + ',' + points[0].y;
    for (var i = 1; i < points.length - 1; i++) {
      var p = points[i];
      var q = points[i + 1];
      d += ' Q' + p.x + ',' + p.y + ' ' + (p.x + q.x) / 2 + ',' + (p.y + q.y) / 2;
    }
    var last = points[points.length - 1];
    return d + ' L' + last.x + ',' + last.y;
  }

  /** What decides the layout: a picture with the same signature is updated in place. */
  function signature(model) {
    return JSON.stringify([
      model.nodes.map(function (n) {
        return [n.id, n.type, n.name, n.lines, n.rows.map(function (r) { return [r.key, r.label, formatted(r.value).length]; })];
      }),
      model.edges,
    ]);
  }

  function layout(model) {
    var g = new window.dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: 'TB', nodesep: 36, ranksep: 46, edgesep: 16, marginx: 24, marginy: 24 });
    g.setDefaultEdgeLabel(function () { return {}; });
    model.nodes.forEach(function (n) {
      measure(n);
      g.setNode(n.id, { width: n.width, height: n.height });
    });
    model.edges.forEach(function (e, i) {
      var label = e.label ? { width: Math.ceil(textWidth(e.label, 'edge-text') + 14), height: 20, labelpos: 'c' } : {};
      g.setEdge(e.from, e.to, label, 'e' + i);
    });
    window.dagre.layout(g);
    return g;
  }

  function draw(model) {
    var g = layout(model);
    var size = g.graph();
    var svg = svgEl('svg', { viewBox: '0 0 ' + size.width + ' ' + size.height, role: 'group' });
    svg.setAttribute('aria-label', 'The steps of journey ' + journeyId + ' and their numbers');
    var defs = svgEl('defs');
    var marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.appendChild(svgEl('path', { class: 'arrow', d: 'M0,0 L10,5 L0,10 z' }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    var edgeLayer = svgEl('g', { class: 'edges' });
    var labelLayer = svgEl('g', { class: 'edge-labels' });
    model.edges.forEach(function (e, i) {
      var at = g.edge({ v: e.from, w: e.to, name: 'e' + i });
      var path = svgEl('path', { class: 'edge', d: edgePath(at.points), 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to });
      edgeLayer.appendChild(path);
      if (e.label) {
        var lg = svgEl('g', { class: 'edge-label', transform: 'translate(' + (at.x - at.width / 2) + ',' + (at.y - at.height / 2) + ')', 'data-from': e.from });
        if (e.title) lg.appendChild(svgEl('title', {}, e.title));
        lg.appendChild(svgEl('rect', { width: at.width, height: at.height, rx: 10 }));
        lg.appendChild(svgEl('text', { class: 'edge-text', x: at.width / 2, y: 14, 'text-anchor': 'middle' }, e.label));
        labelLayer.appendChild(lg);
      }
    });
    svg.appendChild(edgeLayer);
    var nodeLayer = svgEl('g', { class: 'nodes' });
    model.nodes.forEach(function (n) {
      var at = g.node(n.id);
      nodeLayer.appendChild(drawNode(n, at.x - n.width / 2, at.y - n.height / 2));
    });
    svg.appendChild(nodeLayer);
    svg.appendChild(labelLayer);
    return { svg: svg, width: size.width, height: size.height };
  }

  /** Same layout: only the numbers change, in place (no redraw, no flicker, hover kept). */
  function updateNumbers(model) {
    model.nodes.forEach(function (n) {
      if (!n.step) return;
      var group = drawn.svg.querySelector('g[data-step="' + cssEscape(n.step) + '"]');
      n.rows.forEach(function (row) {
        var num = group.querySelector('[data-stat="' + cssEscape(row.key) + '"]');
        if (num.getAttribute('data-value') === String(row.value)) return;
        num.textContent = formatted(row.value);
        num.setAttribute('data-value', String(row.value));
        num.setAttribute('class', numClass(row));
        num.parentNode.setAttribute('aria-label', rowAria(row));
      });
    });
  }

  function cssEscape(text) {
    return window.CSS && window.CSS.escape ? window.CSS.escape(text) : text.replace(/["\\]/g, '\\$&');
  }

  function applyZoom() {
    if (!drawn) return;
    var canvas = $('canvas');
    var room = canvas.clientWidth - 4;
    var scale = zoom !== 'fit' ? zoom : room > 0 ? Math.min(1, room / drawn.width) : 1;
    drawn.scale = scale;
    drawn.svg.setAttribute('width', Math.round(drawn.width * scale));
    drawn.svg.setAttribute('height', Math.round(drawn.height * scale));
  }

  function render(definition, stats) {
    var model = buildModel(definition, stats);
    var sig = signature(model);
    if (drawn && drawn.signature === sig) {
      updateNumbers(model);
      return;
    }
    var next = draw(model);
    next.signature = sig;
    var canvas = $('canvas');
    canvas.hidden = false;
    if (drawn) canvas.replaceChild(next.svg, drawn.svg);
    else canvas.appendChild(next.svg);
    drawn = next;
    applyZoom();
  }

  function renderTotals(stats) {
    var box = $('totals');
    TOTALS.forEach(function (t) {
      var el = box.querySelector('[data-total="' + t[0] + '"]');
      if (!el) {
        el = document.createElement('div');
        el.className = 'total';
        el.setAttribute('data-total', t[0]);
        el.title = t[2];
        var n = document.createElement('span');
        n.className = 'n';
        var l = document.createElement('span');
        l.className = 'l';
        l.textContent = t[1];
        el.appendChild(n);
        el.appendChild(l);
        box.appendChild(el);
      }
      var value = stats[t[0]] || 0;
      el.firstChild.setAttribute('data-value', String(value));
      el.firstChild.textContent = formatted(value);
    });
    box.hidden = false;
  }

  function renderHeader(journey) {
    var name = (journey.definition && journey.definition.name) || journey.name || journey.id;
    $('journey-name').textContent = name;
    document.title = name + ' · journey picture · Cairn';
    $('journey-id').textContent = journey.id;
    var status = $('journey-status');
    status.textContent = journey.status;
    status.className = 'status status-' + journey.status;
    status.title = STATUS_WORDS[journey.status] || journey.status;
    status.hidden = false;
    $('journey-version').textContent = journey.version ? 'version ' + journey.version : 'not published';
    var description = journey.definition && journey.definition.description;
    $('description').textContent = description || '';
    $('description').hidden = !description;
  }

  var STATUS_WORDS = {
    live: 'Live: customers enter as they qualify',
    paused: 'Paused: nobody enters, runs hold before their next send',
    stopped: 'Stopped: nothing runs or enters until it is launched again',
    archived: 'Archived: stopped for good, read-only',
    published: 'Published: customers enter when launched',
    draft: 'Draft: never published',
  };

  // ---- the API ---------------------------------------------------------------------------------

  function api(path) {
    return fetch(apiBase + path, {
      headers: { Authorization: 'Bearer ' + key, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      // A request that hangs must not end the refreshes: it fails, and the next look comes.
      signal: AbortSignal.timeout(15000),
    }).then(function (res) {
      return res.json().then(
        function (body) { return { status: res.status, body: body }; },
        function () { return { status: res.status, body: null }; },
      );
    });
  }

  function errorText(res) {
    return (res.body && res.body.error && res.body.error.message) || 'HTTP ' + res.status;
  }

  // ---- the page's states -----------------------------------------------------------------------

  function show(state) {
    document.body.setAttribute('data-state', state);
    $('key-form').hidden = state !== 'key';
    $('notice').hidden = state !== 'notice';
    // Forget key wherever a key is in use; zoom only with a picture.
    $('tools').hidden = state !== 'picture' && state !== 'notice';
    $('zoom-out').hidden = $('zoom-in').hidden = $('zoom-fit').hidden = state !== 'picture';
    if (state !== 'picture') $('canvas').hidden = $('totals').hidden = true;
  }

  function notice(paragraphs) {
    var box = $('notice');
    box.textContent = '';
    paragraphs.forEach(function (p, i) {
      var el = document.createElement(i === 0 ? 'h2' : 'p');
      el.textContent = p;
      box.appendChild(el);
    });
    drawn = null;
    $('canvas').textContent = '';
    show('notice');
  }

  function askForKey(message) {
    stopRefreshing();
    key = null;
    sessionStorage.removeItem(KEY_STORE);
    $('key-error').textContent = message || '';
    $('key-error').hidden = !message;
    $('refreshed').textContent = '';
    show('key');
    $('key-input').value = '';
    $('key-input').focus();
  }

  function stopRefreshing() {
    generation++;
    if (timer) clearTimeout(timer);
    timer = null;
  }

  function schedule(gen) {
    if (gen !== generation) return;
    timer = setTimeout(function () { refresh(gen); }, delay);
  }

  function refreshedLine(error) {
    var line = $('refreshed');
    var at = lastGood ? lastGood.toLocaleTimeString() : null;
    if (error) {
      line.textContent = 'Could not refresh: ' + error + (at ? '. Showing the numbers of ' + at + '.' : '.');
      line.className = 'refreshed stale';
    } else {
      line.textContent = 'Updated ' + at + ' · refreshes every ' + Math.round(delay / 1000) + ' s';
      line.className = 'refreshed';
      line.setAttribute('data-refreshed-at', String(lastGood.getTime()));
    }
  }

  /** One look at the journey and its numbers; schedules the next unless the page left this state. */
  function refresh(gen) {
    if (document.hidden) return schedule(gen);
    var path = 'journeys/' + encodeURIComponent(journeyId);
    var started = new Date();
    return Promise.all([api(path), api(path + '/stats')])
      .then(function (answers) {
        if (gen !== generation) return;
        var journey = answers[0];
        var stats = answers[1];
        if (journey.status === 401 || stats.status === 401) return askForKey('The API refused this key (401). Enter a key from CAIRN_API_KEYS.');
        // The key works: keep it for this tab's session.
        sessionStorage.setItem(KEY_STORE, key);
        // A code-first type is a journey too, but its steps are code: no graph to draw.
        if (journey.status === 404 || (journey.status === 200 && journey.body.kind === 'code')) return unknownJourney(gen);
        if (journey.status === 400) return notice(['Not a journey ID', errorText(journey)]);
        if (journey.status !== 200) throw new Error(errorText(journey));
        renderHeader(journey.body);
        if (!journey.body.definition) {
          notice([
            '"' + journeyId + '" has no published version yet',
            'It is only a draft. Publish it (POST /v1/journeys/' + journeyId + '/publish) and its picture appears here.',
          ]);
          return schedule(gen);
        }
        if (stats.status !== 200) throw new Error(errorText(stats));
        show('picture');
        renderTotals(stats.body);
        render(journey.body.definition, stats.body);
        lastGood = started;
        delay = Math.max(REFRESH_MS, 3 * (Date.now() - started.getTime()));
        refreshedLine();
        schedule(gen);
      })
      .catch(function (err) {
        if (gen !== generation) return;
        refreshedLine(err && err.message ? err.message : String(err));
        schedule(gen);
      });
  }

  /** A code-first journey type, or no journey of this ID. */
  function unknownJourney(gen) {
    return api('code-journeys').then(function (res) {
      if (gen !== generation) return;
      var code = res.status === 200 && res.body.journeys.filter(function (j) { return j.id === journeyId; })[0];
      $('journey-name').textContent = journeyId;
      $('journey-id').textContent = '';
      if (code) {
        notice([
          '"' + journeyId + '" is a code-first journey',
          code.description,
          'Its steps are TypeScript (' + code.workflowType + '), not a definition, so it has no step graph to draw. ' +
            'Its numbers per step are at GET /v1/journeys/' + journeyId + "/stats; read one customer's run at GET /v1/journeys/" + journeyId +
            '/runs/{customerId}, or find its runs in the Temporal UI with CairnJourneyId = "' + journeyId + '".',
        ]);
      } else {
        notice(['No journey "' + journeyId + '"', 'There is no journey with this ID. Journeys are listed at GET /v1/journeys.']);
      }
    });
  }

  function start() {
    stopRefreshing();
    drawn = null;
    $('canvas').textContent = '';
    lastGood = null;
    show('loading');
    refresh(generation);
  }

  function init() {
    $('journey-id').textContent = journeyId;
    if (!window.dagre) {
      notice(['The layout library did not load', 'The page needs /assets/dagre.min.js from this server.']);
      return;
    }
    $('key-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var given = $('key-input').value.trim();
      if (!given) return;
      key = given;
      $('key-input').value = '';
      start();
    });
    $('forget-key').addEventListener('click', function () { askForKey(); });
    $('zoom-in').addEventListener('click', function () { zoom = Math.min(3, (drawn ? drawn.scale : 1) * 1.25); applyZoom(); });
    $('zoom-out').addEventListener('click', function () { zoom = Math.max(0.2, (drawn ? drawn.scale : 1) / 1.25); applyZoom(); });
    $('zoom-fit').addEventListener('click', function () { zoom = 'fit'; applyZoom(); });
    window.addEventListener('resize', function () { if (zoom === 'fit') applyZoom(); });
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && key && timer) {
        clearTimeout(timer);
        refresh(generation);
      }
    });
    key = sessionStorage.getItem(KEY_STORE);
    if (key) start();
    else askForKey();
  }

  init();
})();
