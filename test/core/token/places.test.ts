import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskToken, scrubTokens } from '../../../src/core/token/mask';
import {
  envFileToken,
  findTokenLiterals,
  isRotatableKey,
  parseGatewayUrl,
  replaceEnvFileToken,
  replaceLiterals,
  replaceUnitToken,
  unitFileTokens,
} from '../../../src/core/token/places';

const OLD = 'old-token-0123456789abcdefghijklmnop';
const NEW = 'new-token-zyxwvutsrqponmlkjihgfedcba';

describe('token masking', () => {
  it('shows 4 characters and the length only', () => {
    assert.equal(maskToken(OLD), 'old-…(36 chars)');
    assert.equal(maskToken('short'), '…(5 chars)');
    assert.equal(maskToken(undefined), '(none)');
  });
  it('scrubTokens replaces every occurrence anywhere in a value', () => {
    const v = { a: `x ${OLD} y`, b: [NEW, { c: `${OLD}${NEW}` }], n: 3 };
    const s = JSON.stringify(scrubTokens(v, [OLD, NEW]));
    assert.ok(!s.includes(OLD) && !s.includes(NEW), s);
    assert.match(s, /old-…\(36 chars\)/);
  });
});

describe('token places', () => {
  it('finds token literals with their key paths in commented JSON5 and replaces only them', () => {
    const text = `// my gateway\n{\n  gateway: {\n    auth: { mode: 'token', token: '${OLD}' }, // keep\n    remote: { url: "ws://127.0.0.1:1", token: "${OLD}" },\n  },\n  hooks: { token: "${OLD}" },\n}\n`;
    const lits = findTokenLiterals(text, OLD);
    assert.deepEqual(
      lits.map((l) => l.key),
      ['gateway.auth.token', 'gateway.remote.token', 'hooks.token'],
    );
    const rot = lits.filter((l) => isRotatableKey(l.key));
    assert.deepEqual(
      rot.map((l) => l.key),
      ['gateway.auth.token', 'gateway.remote.token'],
    );
    const out = replaceLiterals(text, rot, NEW);
    assert.ok(out.startsWith('// my gateway\n'));
    assert.match(out, /\/\/ keep/);
    assert.equal(findTokenLiterals(out, NEW).length, 2);
    assert.equal(
      findTokenLiterals(out, OLD)
        .map((l) => l.key)
        .join(),
      'hooks.token',
    );
  });
  it('.env: reads the last assignment, replaces every one, keeps other lines, quotes and comments', () => {
    const text = `A=1\nexport OPENCLAW_GATEWAY_TOKEN="${OLD}" # gw\r\nOPENCLAW_GATEWAY_TOKEN=${OLD}\n`;
    assert.equal(envFileToken(text), OLD);
    assert.equal(replaceEnvFileToken(text, NEW), `A=1\nexport OPENCLAW_GATEWAY_TOKEN="${NEW}" # gw\r\nOPENCLAW_GATEWAY_TOKEN=${NEW}\n`);
    assert.equal(envFileToken('B=2\n'), undefined);
  });
  it('systemd unit: Environment= lines only, quoted or not, several assignments on a line', () => {
    const unit = `[Service]\nEnvironment=OPENCLAW_GATEWAY_TOKEN=${OLD}\nEnvironment=HOME=/h OPENCLAW_GATEWAY_TOKEN=${OLD}\nEnvironment="OPENCLAW_GATEWAY_TOKEN=${OLD}" "X=1"\nExecStart=/bin/openclaw gateway run # OPENCLAW_GATEWAY_TOKEN=${OLD}\n`;
    assert.deepEqual(unitFileTokens(unit), [OLD, OLD, OLD]);
    const out = replaceUnitToken(unit, NEW);
    assert.deepEqual(unitFileTokens(out), [NEW, NEW, NEW]);
    assert.match(out, new RegExp(`ExecStart=.*${OLD}`), 'non-Environment lines stay');
  });
  it('parses gateway URLs', () => {
    assert.deepEqual(parseGatewayUrl('ws://127.0.0.1:18790'), { host: '127.0.0.1', port: 18790 });
    assert.deepEqual(parseGatewayUrl('wss://127.0.0.2'), { host: '127.0.0.2', port: 443 });
    assert.deepEqual(parseGatewayUrl('ws://[::1]/x'), { host: '::1', port: 18789 });
    assert.equal(parseGatewayUrl('not a url'), undefined);
  });
});
