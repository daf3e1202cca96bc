import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { assertTargetVersion, expandNodePath, mapRoots, migrationRoots, redactedPlan, migrationConfigDiff, type MigrationPlan } from '../../../src/core/operations/migrate';

describe('migrate plan helpers', () => {
  it('refuses a target OpenClaw older than the source', () => {
    assert.throws(() => assertTargetVersion('2026.9.6', '2026.7.1', { from: 'a', to: 'b' }), (e: unknown) => isOcmError(e, 'conflict') && /older than 2026\.9\.6/.test((e as Error).message) && /Update OpenClaw on b/.test((e as Error).message));
    assert.throws(() => assertTargetVersion('2026.10.1', '2026.9.6', { from: 'a', to: 'b' }), (e: unknown) => isOcmError(e, 'conflict'));
    assert.throws(() => assertTargetVersion('2026.9.6', undefined, { from: 'a', to: 'b' }), (e: unknown) => isOcmError(e, 'notFound'));
    assertTargetVersion('2026.9.6', '2026.9.6', { from: 'a', to: 'b' });
    assertTargetVersion('2026.7.1', '2026.9.6', { from: 'a', to: 'b' });
  });

  it('roots: the state dir plus outermost agent folders outside it; mapped into the target home', () => {
    const roots = migrationRoots('/home/a/.openclaw', ['/home/a/.openclaw/workspace', '/home/a/ws', '/home/a/ws/sub', '/srv/x', '/home/a/.openclaw/agents/main/agent']);
    assert.deepEqual(roots, ['/home/a/.openclaw', '/home/a/ws', '/srv/x']);
    assert.deepEqual(mapRoots(roots, { stateDir: '/home/a/.openclaw', home: '/home/a' }, { stateDir: '/home/b/oc', home: '/home/b' }), [
      { from: '/home/a/.openclaw', to: '/home/b/oc' },
      { from: '/home/a/ws', to: '/home/b/ws' },
      { from: '/srv/x', to: '/srv/x' },
    ]);
  });

  it('expands ~ on the target and refuses relative paths', () => {
    assert.equal(expandNodePath('~/oc/', '/home/b'), '/home/b/oc');
    assert.equal(expandNodePath('/x/../y', '/home/b'), '/y');
    assert.throws(() => expandNodePath('oc', '/home/b'), (e: unknown) => isOcmError(e, 'invalidInput'));
  });

  it('the plan as faces show it has no secrets; diffs are redacted', () => {
    const plan = {
      operation: 'migrate', nodeId: 'b', createdAt: '', summary: '', files: [], unchanged: 0, configRewrites: [], steps: [], source: { kind: 'none' }, warnings: [],
      from: { nodeId: 'a' }, to: { nodeId: 'b', current: { configText: '{ gateway: { auth: { token: "tgt-secret" } } }' } },
      config: { mainPath: '/home/b/oc/openclaw.json', files: [{ role: 'main', sourcePath: '/home/a/.openclaw/openclaw.json', targetPath: '/home/b/oc/openclaw.json', before: '{\n  gateway: { port: 1, auth: { token: "old-secret" } },\n  models: { providers: { x: { apiKey: "sk-abcdefghijklmnopqrstuvwxyz" } } },\n}\n', after: '{\n  gateway: { port: 2, auth: { token: "new-secret" } },\n  models: { providers: { x: { apiKey: "sk-abcdefghijklmnopqrstuvwxyz" } } },\n}\n', targetCurrent: '{ token: "tgt-secret" }' }] },
      secrets: { gatewayToken: 'new-secret' },
    } as unknown as MigrationPlan;
    const shown = JSON.stringify(redactedPlan(plan));
    for (const s of ['old-secret', 'new-secret', 'tgt-secret', 'sk-abcdefghijklmnopqrstuvwxyz']) assert.ok(!shown.includes(s), s);
    const diff = migrationConfigDiff(plan, 'source') + migrationConfigDiff(plan, 'target');
    for (const s of ['old-secret', 'new-secret', 'tgt-secret', 'sk-abcdefghijklmnopqrstuvwxyz']) assert.ok(!diff.includes(s), s);
    assert.match(diff, /-  gateway: \{ port: 1/);
    assert.match(diff, /\+  gateway: \{ port: 2/);
    assert.match(diff, /b:\/home\/b\/oc\/openclaw.json \(now\)/);
  });
});
