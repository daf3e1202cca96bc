import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { locateOpenclaw, type OpenclawLocation } from '../../../src/core/openclaw';
import { restartGateway, startGateway, stopGateway, supervisorName, waitForReady, type GatewayTarget } from '../../../src/core/operations';
import { shellQuote } from '../../../src/core/transport/shell-quote';
import { LocalTransport } from '../../../src/core/transport/local-transport';
import type { Transport } from '../../../src/core/transport/types';
import { freePort } from '../../support/free-port';
import { STAND_IN_GATEWAY } from './stand-in-gateway';

/**
 * Gateway control of a supervised gateway (systemd user unit, launchd agent) through the real
 * LocalTransport, on a machine that runs neither: the node's PATH holds stand-in `systemctl`,
 * `launchctl` and `openclaw` shell scripts that record their arguments and XDG_RUNTIME_DIR and
 * start/stop a stand-in gateway (a tiny HTTP server answering /readyz: 503 for its first second,
 * then 200). The node's HOME holds the unit file / LaunchAgent plist that detection looks for.
 * The stand-ins check the unit name / launchd domain and label the way the real tools would fail
 * ("Unit ... not found", "Could not find service"). The unmanaged gateway is in
 * gateway-local.test.ts; a real systemd or launchd is not tested.
 */

const uid = process.getuid!();

async function script(path: string, text: string): Promise<void> {
  await writeFile(path, text);
  await chmod(path, 0o755);
}

interface FakeNode {
  root: string;
  home: string;
  port: number;
  /** Commands OCM sent to the node (after `clear()`). */
  commands: string[];
  transport: Transport;
  /** Lines the stand-ins wrote: `<tool> <args> | XDG_RUNTIME_DIR=<value>`. */
  log(): Promise<string[]>;
  clear(): Promise<void>;
  /** Starts/stops the stand-in gateway directly (test setup, not through OCM). */
  gw(action: 'start' | 'stop'): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A node whose shell sees HOME=<root>/home, PATH=<root>/bin:/usr/bin:/bin, no XDG_RUNTIME_DIR
 * (like a plain SSH session without a login session) unless `env` sets one.
 */
async function fakeNode(options: { label?: string; env?: Record<string, string> } = {}): Promise<FakeNode> {
  const root = await mkdtemp(join(tmpdir(), 'ocm-gw-sup-'));
  const home = join(root, 'home');
  const bin = join(root, 'bin');
  await mkdir(home, { recursive: true });
  await mkdir(bin);
  await mkdir(join(root, 'system'));
  const port = await freePort();
  const R = shellQuote(root);
  const label = options.label ?? 'ai.openclaw.gateway';
  await writeFile(join(root, 'fake-gateway.js'), STAND_IN_GATEWAY);
  await writeFile(
    join(root, 'gw.sh'),
    `R=${R}
record() { printf '%s | XDG_RUNTIME_DIR=%s\\n' "$*" "\${XDG_RUNTIME_DIR-(unset)}" >> "$R/supervisor.log"; }
gw_running() { [ -f "$R/gw.pid" ] && kill -0 "$(cat "$R/gw.pid")" 2>/dev/null; }
gw_start() { gw_running && return 0; nohup ${shellQuote(process.execPath)} "$R/fake-gateway.js" ${port} >>"$R/gw.log" 2>&1 </dev/null & echo $! > "$R/gw.pid"; }
gw_stop() {
  gw_running || { rm -f "$R/gw.pid"; return 0; }
  p=$(cat "$R/gw.pid"); kill -"\${1:-TERM}" "$p"; i=0
  while kill -0 "$p" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
  rm -f "$R/gw.pid"
}
`,
  );
  // systemctl [--user] start|stop|restart|kill -s SIG|is-active <unit>: a user unit must exist in
  // ~/.config/systemd/user, a system unit in <root>/system (standing in for /etc/systemd/system).
  await script(
    join(bin, 'systemctl'),
    `#!/bin/sh
. ${R}/gw.sh
record systemctl "$@"
if [ -f "$R/systemctl-fails" ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
dir="$R/system"; [ "$1" = --user ] && { dir="$HOME/.config/systemd/user"; shift; }
for unit; do :; done
[ -f "$dir/$unit" ] || { echo "Unit $unit not found." >&2; exit 5; }
case "$1" in
  start) gw_start ;;
  stop) gw_stop TERM ;;
  restart) gw_stop TERM; gw_start ;;
  kill) [ "$2" = -s ] || exit 2; gw_stop "$3" ;;
  is-active) gw_running && { echo active; exit 0; }; echo inactive; exit 3 ;;
  *) echo "stand-in systemctl: unsupported $1" >&2; exit 2 ;;
esac
`,
  );
  // launchctl bootout gui/<uid>/<label> | bootstrap gui/<uid> <plist> | kickstart [-k] gui/<uid>/<label>;
  // "loaded" is launchd knowing the agent (bootstrap loads it and, RunAtLoad, starts it).
  await script(
    join(bin, 'launchctl'),
    `#!/bin/sh
. ${R}/gw.sh
record launchctl "$@"
uid=$(id -u); label=${shellQuote(label)}
case "$1" in
  bootout)
    [ "$2" = "gui/$uid/$label" ] || { echo "Boot-out failed: 113: Could not find specified service" >&2; exit 113; }
    [ -f "$R/loaded" ] || { echo "Boot-out failed: 3: No such process" >&2; exit 3; }
    gw_stop TERM; rm -f "$R/loaded" ;;
  bootstrap)
    { [ "$2" = "gui/$uid" ] && [ -f "$3" ] && [ ! -f "$R/loaded" ]; } || { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }
    touch "$R/loaded"; gw_start ;;
  kickstart)
    k=0; [ "$2" = -k ] && { k=1; shift; }
    { [ "$2" = "gui/$uid/$label" ] && [ -f "$R/loaded" ]; } || { echo "Could not find service \\"$label\\" in domain for user gui: $uid" >&2; exit 113; }
    [ $k = 1 ] && gw_stop TERM; gw_start ;;
  *) echo "stand-in launchctl: unsupported $1" >&2; exit 2 ;;
esac
`,
  );
  // openclaw --version | gateway restart: restarts through the service manager, as OpenClaw does.
  await script(
    join(bin, 'openclaw'),
    `#!/bin/sh
. ${R}/gw.sh
[ "$1" = --version ] && { echo "OpenClaw 2026.9.6 (eb377ac)"; exit 0; }
record openclaw "$@"
if [ "$1 $2" = "gateway restart" ]; then
  if [ -f "$HOME/Library/LaunchAgents/${label}.plist" ]; then launchctl kickstart -k "gui/$(id -u)/${label}" || exit 1
  else systemctl --user restart openclaw-gateway.service || exit 1; fi
  echo '{"ok":true,"action":"restart"}'; exit 0
fi
echo "stand-in openclaw: unsupported $*" >&2; exit 2
`,
  );
  const commands: string[] = [];
  const env = { HOME: home, PATH: `${bin}:/usr/bin:/bin`, SHELL: '/bin/sh', ENV: '', XDG_RUNTIME_DIR: '', ...options.env };
  const local = new LocalTransport({ nodeId: 'sup' });
  const transport = new Proxy(local, {
    get(target, prop, receiver) {
      if (prop === 'exec') {
        return (cmd: string, opts: Record<string, unknown> = {}) => {
          commands.push(cmd);
          return target.exec(cmd, { ...opts, env: { ...env, ...((opts.env as Record<string, string>) ?? {}) } });
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as Transport;
  const logPath = join(root, 'supervisor.log');
  return {
    root,
    home,
    port,
    commands,
    transport,
    log: async () => (await readFile(logPath, 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
    clear: async () => {
      commands.length = 0;
      await rm(logPath, { force: true });
    },
    gw: async (action) => {
      const r = await local.exec(`. ${R}/gw.sh; gw_${action} KILL`);
      assert.equal(r.exitCode, 0, r.stderr);
    },
    cleanup: async () => {
      await local.exec(`. ${R}/gw.sh; gw_stop KILL`).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Commands OCM sent that signal processes itself (a supervisor's own `systemctl kill` does not count). */
function directKills(commands: string[]): string[] {
  return commands.filter((c) => /\bkill\b|\bss\b/.test(c.replace(/systemctl( --user)? kill/g, '')));
}

const XDG_DEFAULT = `XDG_RUNTIME_DIR=/run/user/${uid}`;

describe('systemd user unit (stand-in systemctl)', () => {
  let node: FakeNode;
  let location: OpenclawLocation;
  let target: GatewayTarget;
  const unit = 'openclaw-gateway.service';

  before(async () => {
    node = await fakeNode();
    await mkdir(join(node.home, '.config', 'systemd', 'user'), { recursive: true });
    await writeFile(join(node.home, '.config', 'systemd', 'user', unit), '[Service]\nExecStart=/usr/bin/openclaw gateway run\n');
  });
  after(async () => node.cleanup());

  it('detection: the user unit in ~/.config/systemd/user makes it systemd', async () => {
    location = await locateOpenclaw(node.transport, { id: 'sup', gatewayPort: node.port });
    assert.equal(location.supervisor, 'systemd');
    assert.equal(location.supervisorUnit, join(node.home, '.config', 'systemd', 'user', unit));
    assert.equal(supervisorName(location), unit);
    assert.equal(location.installed, true, location.reason);
    target = { transport: node.transport, location, node: { id: 'sup' } };
  });

  it('restart of a stopped gateway: systemctl --user start with XDG_RUNTIME_DIR, then ready', async () => {
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location, node: target.node, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'start');
    assert.equal(r.supervisor, 'systemd');
    assert.equal(r.wasRunning, false);
    assert.deepEqual(await node.log(), [`systemctl --user start ${unit} | ${XDG_DEFAULT}`]);
    assert.deepEqual(directKills(node.commands), []);
  });

  it('restart --force: systemctl --user kill -s KILL + stop, then start, ready again with a fresh uptime', async () => {
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location, node: target.node, force: true, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'stop-start');
    assert.equal(r.mode, 'force');
    assert.equal(r.wasRunning, true);
    assert.ok((r.readyAfterMs ?? 0) >= 500, `ready after ${r.readyAfterMs} ms: the 503 phase was taken for ready`);
    assert.deepEqual(await node.log(), [
      `systemctl --user kill -s KILL ${unit} | ${XDG_DEFAULT}`,
      `systemctl --user stop ${unit} | ${XDG_DEFAULT}`,
      `systemctl --user start ${unit} | ${XDG_DEFAULT}`,
    ]);
    assert.deepEqual(directKills(node.commands), []);
  });

  it('graceful restart: openclaw gateway restart --safe (which restarts the unit), waits for the new gateway', async () => {
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location, node: target.node, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'openclaw-restart');
    assert.equal(r.mode, 'graceful');
    assert.equal(r.wasRunning, true);
    assert.ok((r.readyAfterMs ?? 0) >= 500, `ready after ${r.readyAfterMs} ms: the old gateway was taken for the new one`);
    const log = await node.log();
    assert.match(log[0] ?? '', /^openclaw gateway restart --json --safe \|/);
    assert.match(log[1] ?? '', new RegExp(`^systemctl --user restart ${unit} \\|`));
    assert.equal(log.length, 2, log.join('\n'));
    assert.deepEqual(
      node.commands.filter((c) => c.includes('systemctl')),
      [],
      'OCM leaves the unit to OpenClaw here',
    );
    assert.deepEqual(directKills(node.commands), []);
  });

  it('stop and start: through systemctl only, port free after stop', async () => {
    await node.clear();
    const stopped = await stopGateway(target);
    assert.deepEqual(stopped, { wasRunning: true, pids: [], method: 'systemd' });
    const started = await startGateway(target);
    assert.equal(started.method, 'systemd');
    assert.equal((await waitForReady(target, { timeoutMs: 15_000, pollMs: 100 })).ready, true);
    assert.deepEqual(await node.log(), [`systemctl --user stop ${unit} | ${XDG_DEFAULT}`, `systemctl --user start ${unit} | ${XDG_DEFAULT}`]);
    assert.deepEqual(directKills(node.commands), []);
  });

  it('a failing systemctl (no lingering, no user bus): clear errors naming loginctl enable-linger, no kill', async () => {
    await writeFile(join(node.root, 'systemctl-fails'), '');
    try {
      await node.clear();
      await assert.rejects(
        restartGateway({ transport: node.transport, location, node: target.node, force: true, timeoutMs: 5_000 }),
        (e: Error & { kind?: string }) => {
          assert.equal(e.kind, 'failed');
          assert.match(e.message, /systemctl --user stop openclaw-gateway\.service failed on sup/);
          assert.match(e.message, /Failed to connect to bus/);
          assert.match(e.message, /loginctl enable-linger/);
          return true;
        },
      );
      await node.gw('stop');
      await assert.rejects(startGateway(target), (e: Error) => {
        assert.match(e.message, /Starting the gateway on sup failed \(systemd, exit 1\)/);
        assert.match(e.message, /Failed to connect to bus/);
        assert.match(e.message, /loginctl enable-linger/);
        return true;
      });
      assert.deepEqual(directKills(node.commands), []);
    } finally {
      await rm(join(node.root, 'systemctl-fails'), { force: true });
    }
  });

  it('an XDG_RUNTIME_DIR the session already has is kept', async () => {
    const other = await fakeNode({ env: { XDG_RUNTIME_DIR: join(tmpdir(), 'xdg-own') } });
    try {
      await mkdir(join(other.home, '.config', 'systemd', 'user'), { recursive: true });
      await writeFile(join(other.home, '.config', 'systemd', 'user', unit), '[Service]\n');
      const loc = await locateOpenclaw(other.transport, { id: 'sup', gatewayPort: other.port }, { loginShell: false });
      assert.equal(loc.supervisor, 'systemd');
      await startGateway({ transport: other.transport, location: loc, node: { id: 'sup' } });
      assert.deepEqual(await other.log(), [`systemctl --user start ${unit} | XDG_RUNTIME_DIR=${join(tmpdir(), 'xdg-own')}`]);
    } finally {
      await other.cleanup();
    }
  });

  it('a system unit (/etc/systemd/system) is driven by plain systemctl, and its error names privileges', async () => {
    await node.gw('stop');
    await writeFile(join(node.root, 'system', unit), '[Service]\n');
    const sys: GatewayTarget = { ...target, location: { ...location, supervisorUnit: `/etc/systemd/system/${unit}` } };
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location: sys.location, node: sys.node, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    const forced = await restartGateway({ transport: node.transport, location: sys.location, node: sys.node, force: true, timeoutMs: 15_000 });
    assert.equal(forced.ok, true, JSON.stringify(forced));
    assert.deepEqual(
      (await node.log()).map((l) => l.replace(/ \|.*/, '')),
      [`systemctl start ${unit}`, `systemctl kill -s KILL ${unit}`, `systemctl stop ${unit}`, `systemctl start ${unit}`],
    );
    await writeFile(join(node.root, 'systemctl-fails'), '');
    try {
      await assert.rejects(stopGateway(sys), /systemctl stop openclaw-gateway\.service failed on sup: .*system unit: it needs root/);
    } finally {
      await rm(join(node.root, 'systemctl-fails'), { force: true });
    }
    assert.deepEqual(directKills(node.commands), []);
  });
});

describe('launchd agent (stand-in launchctl)', () => {
  let node: FakeNode;
  let location: OpenclawLocation;
  let target: GatewayTarget;
  const label = 'ai.openclaw.gateway';
  let plist: string;

  before(async () => {
    node = await fakeNode();
    plist = join(node.home, 'Library', 'LaunchAgents', `${label}.plist`);
    await mkdir(join(node.home, 'Library', 'LaunchAgents'), { recursive: true });
    await writeFile(plist, `<?xml version="1.0"?>\n<plist version="1.0"><dict><key>Label</key><string>${label}</string></dict></plist>\n`);
  });
  after(async () => node.cleanup());

  it('detection: ~/Library/LaunchAgents/ai.openclaw.gateway.plist makes it launchd (on any uname)', async () => {
    location = await locateOpenclaw(node.transport, { id: 'sup', gatewayPort: node.port });
    assert.equal(location.supervisor, 'launchd');
    assert.equal(location.supervisorUnit, plist);
    assert.equal(supervisorName(location), label);
    target = { transport: node.transport, location, node: { id: 'sup' } };
  });

  it('restart of an agent that is not loaded: bootstrap gui/<uid> <plist> + kickstart, then ready', async () => {
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location, node: target.node, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'start');
    assert.equal(r.supervisor, 'launchd');
    assert.deepEqual(
      (await node.log()).map((l) => l.replace(/ \|.*/, '')),
      [`launchctl bootstrap gui/${uid} ${plist}`, `launchctl kickstart gui/${uid}/${label}`],
    );
    assert.deepEqual(directKills(node.commands), []);
  });

  it('restart --force: bootout gui/<uid>/<label>, bootstrap, kickstart, ready again with a fresh uptime', async () => {
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location, node: target.node, force: true, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'stop-start');
    assert.equal(r.wasRunning, true);
    assert.ok((r.readyAfterMs ?? 0) >= 500, `ready after ${r.readyAfterMs} ms`);
    assert.deepEqual(
      (await node.log()).map((l) => l.replace(/ \|.*/, '')),
      [`launchctl bootout gui/${uid}/${label}`, `launchctl bootstrap gui/${uid} ${plist}`, `launchctl kickstart gui/${uid}/${label}`],
    );
    assert.deepEqual(directKills(node.commands), []);
  });

  it('graceful restart: openclaw gateway restart --safe (kickstart -k), waits for the new gateway', async () => {
    await node.clear();
    const r = await restartGateway({ transport: node.transport, location, node: target.node, timeoutMs: 15_000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.method, 'openclaw-restart');
    assert.ok((r.readyAfterMs ?? 0) >= 500, `ready after ${r.readyAfterMs} ms`);
    assert.deepEqual(
      (await node.log()).map((l) => l.replace(/ \|.*/, '')),
      ['openclaw gateway restart --json --safe', `launchctl kickstart -k gui/${uid}/${label}`],
    );
    assert.deepEqual(directKills(node.commands), []);
  });

  it('stop boots the agent out (port free); stopping a booted-out agent is no error; start brings it back', async () => {
    await node.clear();
    assert.deepEqual(await stopGateway(target), { wasRunning: true, pids: [], method: 'launchd' });
    assert.deepEqual(await stopGateway(target), { wasRunning: false, pids: [], method: 'launchd' });
    assert.equal((await startGateway(target)).method, 'launchd');
    assert.equal((await waitForReady(target, { timeoutMs: 15_000, pollMs: 100 })).ready, true);
    assert.deepEqual(
      (await node.log()).map((l) => l.replace(/ \|.*/, '')),
      [
        `launchctl bootout gui/${uid}/${label}`,
        `launchctl bootout gui/${uid}/${label}`,
        `launchctl bootstrap gui/${uid} ${plist}`,
        `launchctl kickstart gui/${uid}/${label}`,
      ],
    );
    assert.deepEqual(directKills(node.commands), []);
  });

  it('a failing kickstart: a clear error naming launchd', async () => {
    await node.gw('stop');
    await rm(join(node.root, 'loaded'), { force: true });
    const wrong: GatewayTarget = { ...target, location: { ...location, supervisorUnit: join(node.home, 'Library', 'LaunchAgents', 'missing.plist') } };
    await assert.rejects(startGateway(wrong), /Starting the gateway on sup failed \(launchd, exit 113\): Could not find service/);
  });
});

describe("supervisor detection follows OpenClaw's service names", () => {
  const temps: FakeNode[] = [];
  after(async () => {
    for (const n of temps) await n.cleanup();
  });
  async function homeWith(files: string[], env: Record<string, string> = {}): Promise<OpenclawLocation> {
    const n = await fakeNode({ env });
    temps.push(n);
    for (const f of files) {
      await mkdir(join(n.home, f, '..'), { recursive: true });
      await writeFile(join(n.home, f), '');
    }
    return locateOpenclaw(n.transport, { id: 'sup', gatewayPort: n.port }, { loginShell: false });
  }
  const user = (name: string): string => `.config/systemd/user/${name}`;

  it("the default gateway uses openclaw-gateway.service, not another profile's unit", async () => {
    const loc = await homeWith([user('openclaw-gateway-work.service'), user('openclaw-gateway.service')]);
    assert.equal(loc.supervisor, 'systemd');
    assert.equal(supervisorName(loc), 'openclaw-gateway.service');
  });

  it("only another profile's unit: the default gateway is unmanaged (restart must not touch the other gateway)", async () => {
    const loc = await homeWith([user('openclaw-gateway-work.service')]);
    assert.equal(loc.supervisor, 'unmanaged');
    assert.equal(loc.supervisorUnit, undefined);
  });

  it('OPENCLAW_PROFILE=work: openclaw-gateway-work.service, or the LaunchAgent ai.openclaw.work', async () => {
    const sd = await homeWith([user('openclaw-gateway.service'), user('openclaw-gateway-work.service')], { OPENCLAW_PROFILE: 'work' });
    assert.equal(supervisorName(sd), 'openclaw-gateway-work.service');
    const ld = await homeWith(['Library/LaunchAgents/ai.openclaw.gateway.plist', 'Library/LaunchAgents/ai.openclaw.work.plist'], { OPENCLAW_PROFILE: 'work' });
    assert.equal(ld.supervisor, 'launchd');
    assert.equal(supervisorName(ld), 'ai.openclaw.work');
  });

  it('a user unit wins over a LaunchAgent; nothing installed is unmanaged', async () => {
    const both = await homeWith([user('openclaw-gateway.service'), 'Library/LaunchAgents/ai.openclaw.gateway.plist']);
    assert.equal(both.supervisor, 'systemd');
    const none = await homeWith([]);
    assert.equal(none.supervisor, 'unmanaged');
  });
});
