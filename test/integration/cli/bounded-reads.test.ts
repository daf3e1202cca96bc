import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isOcmError } from '../../../src/core/errors';
import { readForEdit } from '../../../src/core/safe-write';
import { SshPool } from '../../../src/core/ssh/pool';
import { readFileBounded } from '../../../src/core/transport/read-bounded';
import type { Transport } from '../../../src/core/transport/types';
import type { NodeStatus } from '../../../src/core/status';
import { runCli } from '../../support/cli';
import { registryEntryFor, runAsNodeUser, startSshNodes, targetFor, type SshNode, type SshNodeSet } from '../../support/sshd';

/**
 * Reads of node files are bounded, over a real sshd: a symlink to /dev/zero, a file larger than
 * the limit, and `$include`s that point outside the config folder (through a symlink), at
 * /dev/zero, or fan out, all end at once with an error naming the file and the limit — before the
 * fix `ocm agents` over such an include never returned while memory grew without end.
 */

const MiB = 1024 * 1024;

describe('bounded reads of node files (real sshd)', { timeout: 180_000 }, () => {
  let set: SshNodeSet;
  let node: SshNode;
  let pool: SshPool;
  let t: Transport;
  let env: NodeJS.ProcessEnv;
  const sh = async (command: string): Promise<string> => (await runAsNodeUser(node, command)).stdout;

  before(async () => {
    set = await startSshNodes(1, { idPrefix: 'br' });
    node = set.nodes[0]!;
    pool = new SshPool();
    t = pool.transportFor(targetFor(node));
    const home = mkdtempSync(join(set.dir, 'bounded-user-'));
    mkdirSync(join(home, '.ssh'), { mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'known_hosts'), `${node.knownHostsLine}\n`);
    const ocmHome = join(home, 'ocm');
    mkdirSync(ocmHome, { mode: 0o700 });
    writeFileSync(join(ocmHome, 'nodes.json'), JSON.stringify({ version: 1, nodes: [registryEntryFor(node)] }));
    env = { HOME: home, OCM_HOME: ocmHome, PATH: process.env.PATH, NO_COLOR: '1', OCM_KEEP_CONNECTIONS: '0' };
    await sh('ln -s /dev/zero ~/zero-link && head -c 3145728 /dev/urandom > ~/big.bin && printf "hello\\n" > ~/small.txt && mkfifo ~/fifo');
  });
  after(async () => {
    await pool?.close();
    await set?.stop();
  });

  /** Runs `work` and fails when it takes longer than `ms` (the unbounded reads never ended). */
  async function within<T>(ms: number, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const value = await work();
    assert.ok(Date.now() - started < ms, `took ${Date.now() - started} ms`);
    return value;
  }

  it('the transport-level helper refuses devices, FIFOs and files over the limit, and cuts off a read that passes it', async () => {
    for (const path of ['/dev/zero', `${node.home}/zero-link`, `${node.home}/fifo`]) {
      await within(5000, () =>
        assert.rejects(
          readFileBounded(t, path, MiB),
          (e: unknown) => isOcmError(e, 'invalidInput') && e.message.includes(path) && /not a regular file/.test(e.message),
        ),
      );
    }
    await assert.rejects(
      readFileBounded(t, `${node.home}/big.bin`, MiB),
      (e: unknown) => isOcmError(e, 'invalidInput') && /big\.bin on br1 is 3 MiB, over the limit of 1 MiB/.test(e.message) && e.details.size === 3 * MiB,
    );
    // Without a stat only the cap protects: /dev/zero is read until 1 MiB, then the transfer is cancelled.
    await within(10_000, () =>
      assert.rejects(
        readFileBounded(t, '/dev/zero', MiB, { stat: 'skip' }),
        (e: unknown) => isOcmError(e, 'invalidInput') && /holds more than that, over the limit of 1 MiB/.test(e.message),
      ),
    );
    assert.equal((await readFileBounded(t, `${node.home}/big.bin`, 4 * MiB)).length, 3 * MiB);
    assert.equal((await readFileBounded(t, `${node.home}/small.txt`, 6)).toString(), 'hello\n', 'exactly the limit is fine');
    // The editor and `ocm cat` read through readForEdit: 64 MiB by default, or the caller's limit.
    await within(5000, () => assert.rejects(readForEdit(t, `${node.home}/zero-link`), (e: unknown) => isOcmError(e, 'invalidInput')));
    await assert.rejects(
      readForEdit(t, `${node.home}/big.bin`, { maxBytes: MiB }),
      (e: unknown) => isOcmError(e, 'invalidInput') && e.details.tooLarge === true,
    );
  });

  it('ocm cat: /dev/zero ends at once; a file over --max-size is refused with a hint, a larger --max-size reads it', async () => {
    const zero = await within(10_000, () => runCli(['cat', node.id, '/dev/zero'], env));
    assert.equal(zero.code, 1);
    assert.match(zero.stderr, /\/dev\/zero on br1 is not a regular file/);
    const big = await runCli(['cat', node.id, `${node.home}/big.bin`, '--max-size', '1'], env);
    assert.equal(big.code, 1);
    assert.match(big.stderr, /big\.bin on br1 is larger than 1 MiB, the most "ocm cat" reads\. Add --max-size <MiB> to read more \(e\.g\. --max-size 3\)/);
    const json = await runCli(['cat', node.id, `${node.home}/big.bin`, '--max-size', '1', '--json'], env);
    assert.equal(json.json<{ error: { kind: string; details: { maxBytes: number } } }>().error.details.maxBytes, MiB);
    const ok = await runCli(['cat', node.id, `${node.home}/big.bin`, '--max-size', '4', '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json<{ size: number }>().size, 3 * MiB);
    assert.equal((await runCli(['cat', node.id, `${node.home}/small.txt`, '--max-size', '0'], env)).code, 2);
  });

  describe('$include', () => {
    const state = (): string => `${node.home}/.openclaw`;
    const writeConfig = async (main: string, files: Record<string, string> = {}, links: Record<string, string> = {}): Promise<void> => {
      await sh('rm -rf ~/.openclaw && mkdir -p ~/.openclaw/config');
      await runAsNodeUser(node, 'cat > ~/.openclaw/openclaw.json', { stdin: main });
      for (const [rel, text] of Object.entries(files)) await runAsNodeUser(node, `cat > ~/.openclaw/${rel}`, { stdin: text });
      for (const [rel, target] of Object.entries(links)) await sh(`ln -s '${target}' ~/.openclaw/${rel}`);
    };
    const agents = async (): Promise<{ code: number; stderr: string; ids: string[] }> => {
      const run = await within(15_000, () => runCli(['agents', node.id, '--fast', '--json'], env));
      return {
        code: run.code,
        stderr: run.code === 0 ? '' : run.json<{ error: { message: string } }>().error.message,
        ids: run.code === 0 ? run.json<{ agents: Array<{ id: string }> }>().agents.map((a) => a.id) : [],
      };
    };

    it('an include that is a symlink to /dev/zero, or a FIFO, is refused at once (ocm agents and ocm status)', async () => {
      await writeConfig('{ agents: { $include: "./config/agents.json5" } }');
      await sh('mkfifo ~/.openclaw/config/agents.json5');
      const fifo = await agents();
      assert.equal(fifo.code, 1);
      assert.match(
        fifo.stderr,
        /openclaw\.json: \$include .*config\/agents\.json5 is not a regular file \(it resolves to .*config\/agents\.json5: a folder, device, FIFO or socket\)/,
      );

      await writeConfig('{ agents: { $include: "./config/agents.json5" } }', {}, { 'config/agents.json5': '/dev/zero' });
      const run = await agents();
      assert.equal(run.code, 1);
      assert.match(run.stderr, /openclaw\.json: \$include .*config\/agents\.json5 resolves \(through a symlink\) to \/dev\/zero, outside the config folder/);
      const status = await within(15_000, () => runCli(['status', node.id, '--json'], env));
      const s = status.json<{ nodes: NodeStatus[] }>().nodes[0]!;
      assert.equal(s.reachable, true);
      assert.ok(
        s.anomalies.some((a) => a.kind === 'configBroken'),
        JSON.stringify(s.anomalies),
      );
      assert.equal(status.code, 1, 'a broken config is an error-level anomaly');
    });

    it('an include that resolves outside the config folder through a symlink is refused; a symlink inside it is followed', async () => {
      await sh('printf "{ list: [{ id: \\"secret\\" }] }" > ~/outside.json5');
      await writeConfig('{ agents: { $include: "./config/agents.json5" } }', {}, { 'config/agents.json5': `${node.home}/outside.json5` });
      const refused = await agents();
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, new RegExp(`resolves \\(through a symlink\\) to ${node.home}/outside\\.json5, outside the config folder ${state()}`));

      await writeConfig(
        '{ agents: { $include: "./config/agents.json5" } }',
        { 'config/real.json5': '{ list: [{ id: "main" }, { id: "work" }] }' },
        { 'config/agents.json5': `${state()}/config/real.json5` },
      );
      const followed = await agents();
      assert.equal(followed.code, 0, followed.stderr);
      assert.deepEqual(followed.ids.sort(), ['main', 'work']);
    });

    it('an include over 2 MiB and a fan-out of includes are refused with the limit', async () => {
      await writeConfig('{ agents: { $include: "./config/big.json5" } }');
      await sh(`{ printf '{ list: [{ id: "main" }], pad: "'; head -c 2200000 /dev/zero | tr '\\0' a; printf '" }'; } > ~/.openclaw/config/big.json5`);
      const big = await agents();
      assert.equal(big.code, 1);
      assert.match(big.stderr, /\$include "\.\/config\/big\.json5" .* is larger than 2 MiB/);

      const many = (file: string, n: number): string => `{ $include: [${Array.from({ length: n }, () => `"./${file}"`).join(', ')}] }`;
      await writeConfig('{ agents: { list: [{ id: "main" }] }, x: { $include: "./config/a.json5" } }', {
        'config/a.json5': many('b.json5', 20),
        'config/b.json5': many('c.json5', 20),
        'config/c.json5': '{ v: [1] }',
      });
      const fan = await agents();
      assert.equal(fan.code, 1);
      assert.match(fan.stderr, /more than 100 \$include references/);
    });
  });
});
