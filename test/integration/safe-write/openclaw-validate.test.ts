import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import JSON5 from 'json5';
import { isOcmError } from '../../../src/core/errors';
import { listHistory, readHistoryEntry } from '../../../src/core/history';
import { readForEdit, safeWrite, type OpenclawValidator } from '../../../src/core/safe-write';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { runCli } from '../../support/cli';
import { createOpenclawNode, type OpenclawTestNode } from '../../support/openclaw';

/**
 * Safe save of openclaw.json validated by a REAL `openclaw config validate --json` (2026.9.6,
 * installed into the tools cache on first use) on a real onboarded state dir.
 */
describe('safe save validates openclaw.json with the real OpenClaw CLI', { timeout: 600_000 }, () => {
  let root: string;
  let ocmHome: string;
  let node: OpenclawTestNode;
  let validator: OpenclawValidator;
  const t = new LocalTransport({ nodeId: 'oc' });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ocm-swoc-'));
    ocmHome = join(root, 'ocm-home');
    const home = join(root, 'node-home');
    await mkdir(home);
    node = await createOpenclawNode({ version: '2026.9.6', home, stateDir: join(home, 'state 状態') });
    // What a node's shell would have: its HOME and a PATH where `node` is Node 24.
    validator = { openclawPath: node.install.bin, stateDir: node.stateDir, env: { ...node.install.env, HOME: node.home } };
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('saves a valid edit (comments included) after OpenClaw accepted the candidate', async () => {
    const opened = await readForEdit(t, node.configPath);
    const config = JSON5.parse(opened.content.toString('utf8')) as { gateway: { port: number } };
    config.gateway.port = node.port + 1;
    const edited = `// edited by ocm test\n${JSON.stringify(config, null, 2)}\n`;
    const res = await safeWrite(t, { home: ocmHome, nodeId: 'oc', remotePath: node.configPath, content: Buffer.from(edited), expected: opened, validator });
    assert.equal(res.validatedBy, 'openclaw', res.warnings.join('\n'));
    assert.equal(res.configChanged, true);
    assert.ok(res.warnings.some((w) => /without comments/.test(w)));
    assert.equal(await readFile(node.configPath, 'utf8'), edited);
    assert.equal((await stat(node.configPath)).mode & 0o777, 0o600, 'config stays owner-only');
    assert.equal((await readHistoryEntry(ocmHome, res.backupId!)).content.toString(), opened.content.toString());
    // OpenClaw itself agrees about the live file now.
    const check = await node.runJson<{ valid: boolean }>(['config', 'validate', '--json']);
    assert.equal(check.valid, true);
    assert.deepEqual(
      (await readdir(node.stateDir)).filter((n) => n.includes('ocm-candidate')),
      [],
    );
  });

  it("refuses an unknown key with OpenClaw's own message; the live file and its mode are untouched", async () => {
    const opened = await readForEdit(t, node.configPath);
    const config = JSON5.parse(opened.content.toString('utf8')) as Record<string, Record<string, unknown>>;
    config.gateway!.bogusKeyFromTest = true;
    await assert.rejects(
      safeWrite(t, {
        home: ocmHome,
        nodeId: 'oc',
        remotePath: node.configPath,
        content: Buffer.from(JSON.stringify(config, null, 2)),
        expected: opened,
        validator,
      }),
      (e) => {
        assert.ok(isOcmError(e, 'invalidConfig'), String(e));
        assert.match(e.message, /OpenClaw says the config is invalid/);
        assert.match(e.message, /gateway.*bogusKeyFromTest/);
        assert.ok(!e.message.includes('ocm-candidate'), e.message);
        return true;
      },
    );
    assert.deepEqual(await readFile(node.configPath), opened.content);
    assert.equal((await stat(node.configPath)).mode & 0o777, 0o600);
    assert.deepEqual(
      (await readdir(node.stateDir)).filter((n) => n.includes('ocm-candidate')),
      [],
    );
    // The pre-edit backup of the live version exists anyway (taken before validation).
    assert.equal((await listHistory(ocmHome, 'oc', node.configPath))[0]!.sha256, opened.sha256);
  });

  it("ocm put finds the node's openclaw (locateOpenclaw) and refuses an invalid config with its message", async () => {
    // The registry's per-node openclaw path: here a wrapper that puts Node 24 first, as users do
    // when OpenClaw's Node is not the login shell's default.
    const wrapper = join(root, 'bin dir', 'openclaw-24');
    await mkdir(join(root, 'bin dir'));
    await writeFile(wrapper, `#!/bin/sh\nPATH=${shellQuote(node.install.env.PATH!)} exec ${shellQuote(node.install.bin)} "$@"\n`, { mode: 0o755 });
    {
      const env = { OCM_HOME: ocmHome };
      const add = await runCli(['add', 'ocl', 'local', '--state-dir', node.stateDir, '--openclaw', wrapper], env);
      assert.equal(add.code, 0, add.stderr);
      const opened = await readForEdit(t, node.configPath);
      const config = JSON5.parse(opened.content.toString('utf8')) as Record<string, Record<string, unknown>>;
      config.tools = { ...(config.tools ?? {}), notARealKey: 1 };
      const local = join(root, 'candidate.json');
      await writeFile(local, JSON.stringify(config, null, 2));
      const r = await runCli(['put', 'ocl', node.configPath, local, '--expect-sha256', opened.sha256, '--json'], env);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const err = r.json().error;
      assert.equal(err.kind, 'invalidConfig');
      assert.match(err.message, /notARealKey/);
      assert.deepEqual(await readFile(node.configPath), opened.content);

      delete config.tools!.notARealKey;
      await writeFile(local, JSON.stringify(config, null, 2));
      const ok = await runCli(['put', 'ocl', node.configPath, local, '--expect-sha256', opened.sha256, '--json'], env);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.equal(ok.json().validatedBy, 'openclaw');
    }
  });
});
