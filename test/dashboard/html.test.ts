import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentSecurityPolicy, dashboardHtml, newNonce, type DashboardStrings } from '../../src/extension/dashboard/html';
import { DASHBOARD_SCRIPT } from '../../src/extension/dashboard/script';

/**
 * The dashboard page (src/extension/dashboard/html.ts): a strict CSP with a fresh nonce on every
 * script and style, nothing remote, and words that cannot break out of their JSON. (In headless
 * Chromium: bench/dashboard.bench.ts; in the real workbench: test/extension/dashboard.test.ts.)
 */
export function testStrings(extra: Partial<DashboardStrings> = {}): DashboardStrings {
  const keys: Array<keyof DashboardStrings> = [
    'title',
    'refresh',
    'checking',
    'noNodes',
    'summary',
    'checkedAt',
    'health.ready',
    'health.notReady',
    'health.gatewayDown',
    'health.unreachable',
    'health.notInstalled',
    'health.unknown',
    'version',
    'gatewayPort',
    'gatewayUp',
    'hostUp',
    'agents',
    'noAgents',
    'contextUnknown',
    'noSessions',
    'contextUsed',
    'sessions',
    'load',
    'memory',
    'disk',
    'loadDetail',
    'memoryDetail',
    'diskDetail',
    'lastBackup',
    'staleBackup',
    'noBackup',
    'problems',
    'noProblems',
    'backUp',
    'restart',
    'openAgentFile',
    'showLogs',
    'actionsFor',
    'openAgent',
    'working',
  ];
  return { ...(Object.fromEntries(keys.map((k) => [k, k])) as unknown as DashboardStrings), ...extra };
}

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';

describe('dashboard HTML', () => {
  const nonce = newNonce();
  const html = dashboardHtml({ nonce, cspSource: CSP_SOURCE, strings: testStrings(), lang: 'ja' });

  it('has a strict CSP: nothing by default, scripts and styles only with the nonce, no inline or eval', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;|&apos;/g, "'");
    assert.ok(csp, 'the page has a CSP meta tag');
    assert.equal(csp, contentSecurityPolicy(nonce, CSP_SOURCE));
    assert.match(csp, /^default-src 'none';/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/]/g, '\\$&')}'(;|$)`));
    assert.match(csp, new RegExp(`style-src 'nonce-${nonce.replace(/[+/]/g, '\\$&')}'(;|$)`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });

  it('puts the nonce on every script and style element', () => {
    const tags = [...html.matchAll(/<(script|style)\b([^>]*)>/g)];
    assert.equal(tags.filter((t) => t[1] === 'script').length, 2);
    for (const tag of tags) assert.ok(tag[2]!.includes(`nonce="${nonce}"`), `${tag[0]} has the nonce`);
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers (they would need unsafe-inline)');
    assert.doesNotMatch(html, /\sstyle=/i, 'no style attributes');
  });

  it('loads nothing remote: no URL but the webview resource origin in the CSP', () => {
    const withoutCsp = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
    assert.doesNotMatch(withoutCsp, /(https?:|wss?:|\/\/)[^\s'"]*\.[a-z]/i);
    assert.doesNotMatch(withoutCsp, /\b(src|href)=/i, 'no src or href attributes at all');
    assert.doesNotMatch(DASHBOARD_SCRIPT, /fetch\(|XMLHttpRequest|WebSocket|import\(|eval\(|new Function/);
  });

  it('a fresh nonce per page; a weak nonce is refused', () => {
    assert.notEqual(newNonce(), newNonce());
    assert.match(newNonce(), /^[A-Za-z0-9+/]{32}$/);
    assert.throws(() => dashboardHtml({ nonce: 'abc', cspSource: CSP_SOURCE, strings: testStrings(), lang: 'en' }));
  });

  it('the first page may carry its cards: inert JSON with the nonce, escaped', () => {
    const data = {
      generatedAt: 'x',
      thresholdPct: 80,
      summary: { nodes: 1, reachable: 1, unreachable: 0, withAnomalies: 1, ready: 0, notChecked: 0 },
      cards: [{ nodeId: 'n1', problems: [{ kind: 'checkIncomplete', severity: 'warning', message: '</script><script>alert(1)</script>' }] }],
    };
    const page = dashboardHtml({ nonce, cspSource: CSP_SOURCE, strings: testStrings(), lang: 'en', initialData: data as never });
    const tags = [...page.matchAll(/<script\b([^>]*)>/g)];
    assert.equal(tags.length, 3);
    for (const tag of tags) assert.ok(tag[1]!.includes(`nonce="${nonce}"`), `${tag[0]} has the nonce`);
    assert.match(page, /<script type="application\/json" id="ocm-data" nonce="[^"]+">\{/);
    assert.doesNotMatch(page, /<\/script><script>alert/);
    const json = /<script type="application\/json" id="ocm-data"[^>]*>([^<]*)<\/script>/.exec(page)?.[1];
    assert.deepEqual(JSON.parse(json!), data, 'the data reads back whole');
  });

  it('words cannot end the script element or inject markup; the language is set', () => {
    const evil = dashboardHtml({
      nonce,
      cspSource: CSP_SOURCE,
      strings: testStrings({ title: '</title><script>alert(1)</script>', refresh: '</script><img src=x>' }),
      lang: 'en" onload="x',
    });
    assert.equal([...evil.matchAll(/<script\b/g)].length, 2);
    assert.doesNotMatch(evil, /<img/);
    assert.match(evil, /<html lang="en&quot; onload=&quot;x">/);
    assert.match(html, /<html lang="ja">/);
  });

  it('the script draws with DOM calls only (textContent), never HTML strings', () => {
    assert.doesNotMatch(DASHBOARD_SCRIPT, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    assert.match(DASHBOARD_SCRIPT, /textContent/);
  });
});
