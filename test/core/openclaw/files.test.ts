import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { listAgentFiles, listConfigFiles } from '../../../src/core/openclaw/files';
import { locateOpenclaw } from '../../../src/core/openclaw/locate';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { materialiseFixture } from '../../support/openclaw-fixtures';

const transport = new LocalTransport({ nodeId: 'fx' });

test('2026.9.6 main workspace: known files in a stable order, daily notes newest first', async () => {
  const fx = await materialiseFixture('v2026.9.6');
  try {
    const ws = join(fx.stateDir, 'workspace');
    const r = await listAgentFiles(transport, ws);
    assert.equal(r.workspaceExists, true);
    assert.deepEqual(
      r.files.map((f) => f.name),
      ['SOUL.md', 'MEMORY.md', 'USER.md', 'AGENTS.md', 'IDENTITY.md', 'BOOTSTRAP.md'],
    );
    assert.equal(r.files[0]!.path, join(ws, 'SOUL.md'));
    assert.deepEqual(
      r.memoryNotes.map((n) => n.name),
      ['2026-11-21.md', '2026-11-21-standup.md', '2026-11-20.md'],
    );
    assert.equal(r.memoryNotes[1]!.slug, 'standup');
    assert.equal(r.memoryNotes[1]!.date, '2026-11-21');
  } finally {
    await fx.cleanup();
  }
});

test('legacy workspace lists TOOLS.md and HEARTBEAT.md; a missing workspace is reported, not an error', async () => {
  const fx = await materialiseFixture('legacy-list');
  try {
    const r = await listAgentFiles(transport, join(fx.stateDir, 'workspace-work'));
    assert.deepEqual(
      r.files.map((f) => f.name),
      ['SOUL.md', 'USER.md', 'AGENTS.md', 'IDENTITY.md', 'TOOLS.md', 'HEARTBEAT.md', 'BOOTSTRAP.md'],
    );
    assert.deepEqual(r.memoryNotes, []);
    const missing = await listAgentFiles(transport, join(fx.home, 'nope'));
    assert.equal(missing.workspaceExists, false);
    assert.deepEqual(missing.files, []);
  } finally {
    await fx.cleanup();
  }
});

test('config files: openclaw.json, its includes in order, .env flagged secret', async () => {
  const fx = await materialiseFixture('v2026.9.6', 'include');
  try {
    const bin = join(fx.home, '.local', 'bin', 'openclaw');
    await mkdir(join(fx.home, '.local', 'bin'), { recursive: true });
    await writeFile(bin, '#!/bin/sh\necho "OpenClaw 2026.9.6 (eb377ac)"\n');
    await chmod(bin, 0o755);
    const local = new LocalTransport({ nodeId: 'fx' });
    const exec = local.exec.bind(local);
    local.exec = (cmd, opts = {}) => exec(cmd, { ...opts, env: { HOME: fx.home, PATH: '/usr/bin:/bin', SHELL: '/bin/sh', ...(opts.env ?? {}) } });
    const loc = await locateOpenclaw(local, { id: 'fx' });
    const files = await listConfigFiles(local, loc);
    const s = fx.stateDir;
    assert.deepEqual(
      files.map((f) => [f.path, f.role, f.secret]),
      [
        [join(s, 'openclaw.json'), 'config', false],
        [join(s, 'config', 'agents.json5'), 'include', false],
        [join(s, 'config', 'entries-a.json5'), 'include', false],
        [join(s, 'config', 'entries-b.json5'), 'include', false],
        [join(s, '.env'), 'env', true],
      ],
    );
  } finally {
    await fx.cleanup();
  }
});
