import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isOcmError, type OcmError } from '../../../src/core/errors';
import { dirUse } from '../../../src/core/operations/migrate-plan';
import { assertSafeRoots } from '../../../src/core/operations/migrate-roots';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import {
  assertTargetVersion,
  expandNodePath,
  mapRoots,
  migrationRoots,
  redactedPlan,
  migrationConfigDiff,
  type MigrationPlan,
} from '../../../src/core/operations/migrate';

describe('migrate plan helpers', () => {
  it('refuses a target OpenClaw older than the source', () => {
    assert.throws(
      () => assertTargetVersion('2026.9.6', '2026.7.1', { from: 'a', to: 'b' }),
      (e: unknown) => isOcmError(e, 'conflict') && /older than 2026\.9\.6/.test((e as Error).message) && /Update OpenClaw on b/.test((e as Error).message),
    );
    assert.throws(
      () => assertTargetVersion('2026.10.1', '2026.9.6', { from: 'a', to: 'b' }),
      (e: unknown) => isOcmError(e, 'conflict'),
    );
    assert.throws(
      () => assertTargetVersion('2026.9.6', undefined, { from: 'a', to: 'b' }),
      (e: unknown) => isOcmError(e, 'notFound'),
    );
    assertTargetVersion('2026.9.6', '2026.9.6', { from: 'a', to: 'b' });
    assertTargetVersion('2026.7.1', '2026.9.6', { from: 'a', to: 'b' });
  });

  it('roots: the state dir plus outermost agent folders outside it; mapped into the target home', () => {
    const roots = migrationRoots('/home/a/.openclaw', [
      '/home/a/.openclaw/workspace',
      '/home/a/ws',
      '/home/a/ws/sub',
      '/srv/x',
      '/home/a/.openclaw/agents/main/agent',
    ]);
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
    assert.throws(
      () => expandNodePath('oc', '/home/b'),
      (e: unknown) => isOcmError(e, 'invalidInput'),
    );
  });

  it('the plan as faces show it has no secrets; diffs are redacted', () => {
    const plan = {
      operation: 'migrate',
      nodeId: 'b',
      createdAt: '',
      summary: '',
      files: [],
      unchanged: 0,
      configRewrites: [],
      steps: [],
      source: { kind: 'none' },
      warnings: [],
      from: { nodeId: 'a' },
      to: { nodeId: 'b', current: { configText: '{ gateway: { auth: { token: "tgt-secret" } } }' } },
      config: {
        mainPath: '/home/b/oc/openclaw.json',
        files: [
          {
            role: 'main',
            sourcePath: '/home/a/.openclaw/openclaw.json',
            targetPath: '/home/b/oc/openclaw.json',
            before:
              '{\n  gateway: { port: 1, auth: { token: "old-secret" } },\n  models: { providers: { x: { apiKey: "sk-abcdefghijklmnopqrstuvwxyz" } } },\n}\n',
            after:
              '{\n  gateway: { port: 2, auth: { token: "new-secret" } },\n  models: { providers: { x: { apiKey: "sk-abcdefghijklmnopqrstuvwxyz" } } },\n}\n',
            targetCurrent: '{ token: "tgt-secret" }',
          },
        ],
      },
      secrets: { gatewayToken: 'new-secret' },
    } as unknown as MigrationPlan;
    const shown = JSON.stringify(redactedPlan(plan));
    for (const s of ['old-secret', 'new-secret', 'tgt-secret', 'sk-abcdefghijklmnopqrstuvwxyz']) assert.ok(!shown.includes(s), s);
    const diff = migrationConfigDiff(plan, 'source') + migrationConfigDiff(plan, 'target');
    for (const s of ['old-secret', 'new-secret', 'tgt-secret', 'sk-abcdefghijklmnopqrstuvwxyz']) assert.ok(!diff.includes(s), s);
    assert.match(diff, /- {2}gateway: \{ port: 1/);
    assert.match(diff, /\+ {2}gateway: \{ port: 2/);
    assert.match(diff, /b:\/home\/b\/oc\/openclaw.json \(now\)/);
  });

  it('redactedPlan masks secrets inside rewritten config values (a path-bearing apiKey, a URL with a password)', () => {
    const plan = {
      operation: 'migrate',
      nodeId: 'b',
      createdAt: '',
      summary: '',
      files: [],
      unchanged: 0,
      steps: [],
      source: { kind: 'none' },
      warnings: [],
      from: { nodeId: 'a' },
      to: { nodeId: 'b', current: {} },
      config: { mainPath: '/home/b/oc/openclaw.json', files: [] },
      secrets: {},
      configRewrites: [
        {
          path: '/home/b/oc/openclaw.json',
          key: 'models.providers.x.apiKey',
          before: '/home/a/.openclaw/keys/sk-abcdefghijklmnopqrstuvwxyz',
          after: '/home/b/oc/keys/sk-abcdefghijklmnopqrstuvwxyz',
          description: 'path rewritten for the target node',
        },
        {
          path: '/home/b/oc/openclaw.json',
          key: 'gateway.remote.url',
          before: 'ws://op:hunter2pw@127.0.0.1:18789/home/a',
          after: 'ws://op:hunter2pw@127.0.0.1:18790/home/b',
          description: 'gateway.remote follows the gateway to the target',
        },
        {
          path: '/home/b/oc/openclaw.json',
          key: 'hooks[0].env.API_TOKEN',
          before: 'plain-value-1',
          after: 'plain-value-2',
          description: 'path rewritten for the target node',
        },
        {
          path: '/home/b/oc/openclaw.json',
          key: 'agents.list[0].workspace',
          before: '/home/a/ws',
          after: '/home/b/ws',
          description: 'path rewritten for the target node',
        },
      ],
    } as unknown as MigrationPlan;
    const shown = redactedPlan(plan);
    const text = JSON.stringify(shown);
    for (const s of ['sk-abcdefghijklmnopqrstuvwxyz', 'hunter2pw', 'plain-value-1', 'plain-value-2']) assert.ok(!text.includes(s), s);
    assert.deepEqual(
      shown.configRewrites.map((r) => r.after),
      ['<redacted>', 'ws://op:***@127.0.0.1:18790/home/b', '<redacted>', '/home/b/ws'],
    );
  });
});

describe('migrate roots that must not be taken whole', () => {
  const source = { nodeId: 'a', home: '/home/a', stateDir: '/home/a/.openclaw' };
  const target = { nodeId: 'b', home: '/home/b', stateDir: '/home/b/.openclaw', currentStateDir: '/home/b/.openclaw' };
  const plan = (workspaces: Record<string, string>, to: typeof target = target) => {
    const agents = Object.entries(workspaces).map(([id, workspace]) => ({ id, workspace, agentDir: `${source.stateDir}/agents/${id}/agent` }));
    const roots = migrationRoots(
      source.stateDir,
      agents.flatMap((a) => [a.workspace, a.agentDir]),
    );
    return () => assertSafeRoots(mapRoots(roots, source, to), source, to, agents);
  };
  const refused = (pattern: RegExp, nodeId: string) => (e: unknown) =>
    isOcmError(e, 'invalidInput') && pattern.test((e as Error).message) && (e as OcmError).details.nodeId === nodeId;

  it('accepts the state dir and agent folders of their own, inside or outside the home', () => {
    plan({ main: '/home/a/.openclaw/workspace', work: '/home/a/ws-work', srv: '/srv/agents/x' })();
  });

  it('refuses an agent workspace that is the home, /, or a folder holding the home or the state dir', () => {
    assert.throws(
      plan({ main: '/home/a' }),
      refused(/agent "main" \(a:\/home\/a\): it is the home folder of a\b.*--replace.*workspace and agent dir of their own/, 'a'),
    );
    assert.throws(plan({ main: '/home/a/.openclaw/workspace', ops: '/' }), refused(/agent "ops" \(a:\/\): it is the root folder \//, 'a'));
    assert.throws(plan({ ops: '/home' }), refused(/a folder holding the home folder \/home\/a of a/, 'a'));
    const srv = { nodeId: 'a', home: '/home/a', stateDir: '/srv/oc/state' };
    const agents = [{ id: 'w', workspace: '/srv/oc', agentDir: '/srv/oc/state/agents/w/agent' }];
    const roots = migrationRoots(srv.stateDir, ['/srv/oc', '/srv/oc/state/agents/w/agent']);
    assert.throws(
      () => assertSafeRoots(mapRoots(roots, srv, target), srv, target, agents),
      refused(/agent "w" \(a:\/srv\/oc\): it is a folder holding the state dir \/srv\/oc\/state/, 'a'),
    );
  });

  it('refuses a target state dir that is the target home, / or holds its current state dir', () => {
    assert.throws(
      plan({}, { ...target, stateDir: '/home/b' }),
      refused(/the state dir \(b:\/home\/b\): it is the home folder of b.*Choose a --state-dir of its own/, 'b'),
    );
    assert.throws(plan({}, { ...target, stateDir: '/' }), refused(/the root folder \//, 'b'));
    assert.throws(
      plan({}, { ...target, stateDir: '/home/b/oc', currentStateDir: '/home/b/oc/inner' }),
      refused(/holding the current state dir \/home\/b\/oc\/inner of b/, 'b'),
    );
    // replacing the current state dir itself is what --replace is for
    plan({}, { ...target, stateDir: '/home/b/.openclaw' })();
  });

  it('refuses a source state dir that is the home', () => {
    const home = { nodeId: 'a', home: '/home/a', stateDir: '/home/a' };
    assert.throws(
      () => assertSafeRoots(mapRoots(['/home/a'], home, target), home, target, []),
      refused(/the state dir \(a:\/home\/a\): it is the home folder of a.*state dir of its own/, 'a'),
    );
  });
});

describe('dirUse', () => {
  const local = new LocalTransport({ nodeId: 'n1' });
  const answering = (stdout: string, exitCode: number | null = 0): Transport =>
    ({ nodeId: 'n9', kind: 'ssh', exec: async () => ({ stdout, stderr: '', exitCode, durationMs: 1 }) }) as unknown as Transport;

  it('tells free, used and file apart on a real sh', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ocm-dir-use-'));
    try {
      assert.equal(await dirUse(local, join(dir, 'missing')), 'free');
      await mkdir(join(dir, 'empty dir'));
      assert.equal(await dirUse(local, join(dir, 'empty dir')), 'free');
      await mkdir(join(dir, 'full'));
      await writeFile(join(dir, 'full', '.hidden'), 'x');
      assert.equal(await dirUse(local, join(dir, 'full')), 'used');
      await writeFile(join(dir, 'plain'), 'x');
      assert.equal(await dirUse(local, join(dir, 'plain')), 'file');
      await symlink(join(dir, 'nowhere'), join(dir, 'dangling'));
      assert.equal(await dirUse(local, join(dir, 'dangling')), 'file', 'a dangling symlink is something there');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails closed: an unlistable folder, an empty or odd answer or a failed check is an error, never "free"', async () => {
    await assert.rejects(
      dirUse(answering('unreadable\n'), '/x'),
      (e: unknown) => isOcmError(e, 'permission') && /\/x on n9 exists but this SSH user cannot list it/.test((e as Error).message),
    );
    await assert.rejects(
      dirUse(answering(''), '/x'),
      (e: unknown) => isOcmError(e, 'failed') && /Could not tell whether \/x on n9 is free.*with no answer/.test((e as Error).message),
    );
    await assert.rejects(
      dirUse(answering('Welcome to the bank\nfree'), '/x'),
      (e: unknown) => isOcmError(e, 'failed') && /said "Welcome to the bank/.test((e as Error).message),
    );
    await assert.rejects(dirUse(answering('free', 2), '/x'), (e: unknown) => isOcmError(e, 'failed') && /exited 2/.test((e as Error).message));
  });
});
