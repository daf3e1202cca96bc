/**
 * The dashboard's webview script, as text (it runs in the webview, not in Node; no library, no
 * build step of its own). It draws one card per node from the `data` message with DOM calls only
 * (textContent, never innerHTML: node names and messages come from machines), keeps keyboard
 * focus on the same button across redraws, posts the card buttons' actions back, and reports what
 * it drew (`rendered`, after the next paint) so tests and the bench can see the real page.
 */
export const DASHBOARD_SCRIPT = String.raw`(function () {
  'use strict';
  var vscode = acquireVsCodeApi();
  var S = JSON.parse(document.getElementById('ocm-strings').textContent || '{}');
  var cardsEl = document.getElementById('cards');
  var summaryEl = document.getElementById('summary');
  var busy = {};
  var last;
  var receivedAt = 0;

  function fmt(key) {
    var args = Array.prototype.slice.call(arguments, 1);
    return String(S[key] || key).replace(/\{(\d+)\}/g, function (m, i) { return args[i] === undefined ? m : String(args[i]); });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function button(label, key, onClick, secondary, aria) {
    var b = el('button', secondary ? 'secondary' : '', label);
    b.type = 'button';
    b.dataset.key = key;
    if (aria) b.setAttribute('aria-label', aria);
    b.addEventListener('click', onClick);
    return b;
  }
  function bar(pct, level, label, valueText) {
    var outer = el('div', 'bar l-' + (level || 'ok'));
    outer.setAttribute('role', 'meter');
    outer.setAttribute('aria-label', label);
    outer.setAttribute('aria-valuemin', '0');
    outer.setAttribute('aria-valuemax', '100');
    if (pct === undefined) {
      outer.classList.add('unknown');
      outer.setAttribute('aria-valuetext', valueText);
    } else {
      outer.setAttribute('aria-valuenow', String(pct));
      outer.setAttribute('aria-valuetext', valueText);
      var fill = el('div', 'fill');
      fill.style.width = Math.max(0, Math.min(100, pct)) + '%';
      outer.appendChild(fill);
    }
    return outer;
  }
  function row(label, barEl, value) {
    var r = el('div', 'row');
    r.appendChild(el('span', 'label', label));
    r.appendChild(barEl);
    r.appendChild(el('span', 'value', value));
    return r;
  }
  function act(action, nodeId, agentId) {
    var m = { type: 'action', action: action, nodeId: nodeId };
    if (agentId) m.agentId = agentId;
    vscode.postMessage(m);
  }

  var GAUGE_DETAIL = { load: 'loadDetail', memory: 'memoryDetail', disk: 'diskDetail' };

  function card(c, index) {
    var art = el('article', 'card h-' + c.health);
    art.dataset.node = c.nodeId;
    var titleId = 'card-' + index + '-title';
    art.setAttribute('aria-labelledby', titleId);
    var head = el('div', 'head');
    var dot = el('span', 'dot');
    dot.setAttribute('aria-hidden', 'true');
    head.appendChild(dot);
    var h2 = el('h2', '', c.nodeId);
    h2.id = titleId;
    h2.title = c.target;
    head.appendChild(h2);
    var stateText = fmt('health.' + c.health);
    var state = el('span', 'state', stateText);
    state.dataset.health = c.health;
    head.appendChild(state);
    art.appendChild(head);

    var meta = [c.target];
    if (c.version) meta.push(fmt('version', c.version));
    if (c.gatewayPort) meta.push(fmt('gatewayPort', c.gatewayPort) + (c.gatewayUptime ? ' ' + fmt('gatewayUp', c.gatewayUptime) : ''));
    if (c.hostUptime) meta.push(fmt('hostUp', c.hostUptime));
    art.appendChild(el('p', 'meta', meta.join(' · ')));
    // The reason is the first problem, listed below anyway; it is shown up here only when it is not one.
    if (c.reason && !c.problems.some(function (p) { return p.message === c.reason; })) art.appendChild(el('p', 'reason', c.reason));

    if (c.checked && c.health !== 'unreachable') {
      var agents = el('section', 'agents');
      agents.appendChild(el('h3', '', fmt('agents')));
      if (!c.agents.length) agents.appendChild(el('p', 'note', fmt('noAgents')));
      c.agents.forEach(function (a) {
        var name = button(a.id, c.nodeId + ':agent:' + a.id, function () { act('openAgentFile', c.nodeId, a.id); }, false, fmt('openAgent', a.id));
        name.className = 'link';
        var text = a.contextPct !== undefined ? fmt('contextUsed', Math.round(a.contextPct) + '%') + (a.tokens ? ' (' + a.tokens + ')' : '')
          : c.sessionsRead && a.sessions === 0 ? fmt('noSessions') : fmt('contextUnknown');
        var r = row('', bar(a.contextPct, a.level, a.id, text), a.contextPct === undefined ? '–' : Math.round(a.contextPct) + '%');
        r.replaceChild(name, r.firstChild);
        r.title = text + (a.sessions ? ' · ' + fmt('sessions', a.sessions) : '');
        agents.appendChild(r);
      });
      if (c.agentsNote) agents.appendChild(el('p', 'note', c.agentsNote));
      art.appendChild(agents);
    }

    if (c.gauges.length) {
      var gauges = el('section', 'gauges');
      c.gauges.forEach(function (g) {
        var label = fmt(g.kind);
        var detail = fmt.apply(null, [GAUGE_DETAIL[g.kind], g.value].concat(g.args));
        var r = row(label, bar(g.pct, g.level, label, detail), g.value);
        r.title = detail;
        gauges.appendChild(r);
      });
      art.appendChild(gauges);
    }

    if (c.checked) {
      var b = c.lastBackup;
      art.appendChild(el('p', 'backup' + (!b ? ' none' : b.stale ? ' stale' : ''), !b ? fmt('noBackup') : fmt(b.stale ? 'staleBackup' : 'lastBackup', b.age)));
    }

    if (c.problems.length) {
      var probs = el('section', 'problems');
      probs.appendChild(el('h3', '', fmt('problems')));
      var ul = el('ul');
      c.problems.forEach(function (p) { ul.appendChild(el('li', p.severity, p.message)); });
      probs.appendChild(ul);
      art.appendChild(probs);
    }

    var actions = el('div', 'actions');
    actions.setAttribute('role', 'group');
    actions.setAttribute('aria-label', fmt('actionsFor', c.nodeId));
    [['backup', 'backUp', false], ['restart', 'restart', true], ['openAgentFile', 'openAgentFile', true], ['showLogs', 'showLogs', true]].forEach(function (a) {
      var key = c.nodeId + ':' + a[0];
      var btn = button(busy[key] ? fmt('working') : fmt(a[1]), key, function () { act(a[0], c.nodeId); }, a[2], fmt(a[1]) + ' — ' + c.nodeId);
      if (busy[key]) { btn.disabled = true; btn.setAttribute('aria-busy', 'true'); }
      actions.appendChild(btn);
    });
    art.appendChild(actions);
    return { element: art, report: { nodeId: c.nodeId, health: c.health, text: stateText } };
  }

  function render(data) {
    last = data;
    var focusedKey = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined;
    var s = data.summary;
    var total = data.cards.length;
    summaryEl.textContent = total === 0 ? fmt('noNodes')
      : s.nodes === 0 ? fmt('checking')
      : fmt('summary', total, s.ready, s.unreachable, s.withAnomalies) + (data.checkedAt ? ' · ' + fmt('checkedAt', new Date(data.checkedAt).toLocaleTimeString()) : '');
    var frag = document.createDocumentFragment();
    var reports = [];
    data.cards.forEach(function (c, i) {
      var made = card(c, i);
      frag.appendChild(made.element);
      reports.push(made.report);
    });
    cardsEl.replaceChildren(frag);
    cardsEl.setAttribute('aria-busy', 'false');
    if (focusedKey) {
      var again = cardsEl.querySelector('[data-key="' + CSS.escape(focusedKey) + '"]');
      if (again) again.focus();
    }
    var started = receivedAt;
    // A task queued from requestAnimationFrame runs after that frame is painted.
    requestAnimationFrame(function () {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () {
        vscode.postMessage({ type: 'rendered', cards: reports, ms: performance.now() - started });
      };
      ch.port2.postMessage(0);
    });
  }

  window.addEventListener('message', function (event) {
    var m = event.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'data' && m.data && Array.isArray(m.data.cards)) {
      receivedAt = performance.now();
      render(m.data);
    } else if (m.type === 'busy' && typeof m.nodeId === 'string' && typeof m.action === 'string') {
      var key = m.nodeId + ':' + m.action;
      if (m.busy) busy[key] = true; else delete busy[key];
      if (last) render(last);
    }
  });
  document.getElementById('refresh').addEventListener('click', function () { vscode.postMessage({ type: 'refresh' }); });
  var initial = document.getElementById('ocm-data');
  if (initial) {
    receivedAt = performance.now();
    render(JSON.parse(initial.textContent || '{}'));
  }
  vscode.postMessage({ type: 'ready' });
})();
`;
