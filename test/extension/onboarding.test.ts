import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { runAddNode, type AddNodeChoice, type AddNodeUi } from '../../src/extension/commands/add-node';
import type { ConnectionCheck } from '../../src/extension/walkthrough/check-connection';
import { findNodeCandidates, suggestNodeId } from '../../src/extension/walkthrough/node-candidates';
import { materialiseFixture, type MaterialisedFixture } from '../support/openclaw-fixtures';
import { activateExtension, extension, writeRegistry } from '../support/vscode/extension-host';

/** Answers the Add Node questions from a script and records what was offered. */
function scriptedUi(pickLabel: (items: AddNodeChoice[]) => AddNodeChoice | undefined, inputs: (string | undefined)[], check = false) {
  const offered: { pick: AddNodeChoice[][]; inputs: { title: string; value?: string }[]; checks: string[] } = { pick: [], inputs: [], checks: [] };
  const ui: AddNodeUi = {
    pick: async (_title, items) => {
      offered.pick.push(items);
      return pickLabel(items) as never;
    },
    input: async (options) => {
      offered.inputs.push({ title: options.title, ...(options.value !== undefined ? { value: options.value } : {}) });
      const answer = inputs.shift();
      if (answer !== undefined) assert.equal(options.validate(answer), undefined, `"${answer}" is accepted`);
      return answer;
    },
    offerCheck: async (nodeId) => {
      offered.checks.push(nodeId);
      return check;
    },
  };
  return { ui, offered };
}

suite('First run (Add Node, walkthrough, logs)', () => {
  let fixture: MaterialisedFixture;
  let home: string;

  suiteSetup(async () => {
    fixture = await materialiseFixture('v2026.9.6');
    home = await mkdtemp(join(tmpdir(), 'ocm-onboarding-home-'));
    await mkdir(join(home, '.ssh'), { recursive: true });
    await mkdir(join(home, '.openclaw'), { recursive: true });
    await writeFile(
      join(home, '.ssh', 'config'),
      ['Host gateway-1', '  HostName 10.1.2.3', '  User claw', '  Port 2222', 'Host lab-mini', '  User ops', 'Host *.internal', '  User x', 'Host known'].join(
        '\n',
      ) + '\n',
    );
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await fixture.cleanup();
    await rm(home, { recursive: true, force: true });
  });

  test('candidates: ssh config hosts with HostName/User/Port, wildcards left out, nodes already added marked; this machine when ~/.openclaw exists', async () => {
    const found = await findNodeCandidates([{ id: 'k', host: 'known', status: 'active', labels: [] }], { home, systemConfigPath: null });
    assert.deepEqual(
      found.sshHosts.map((h) => [h.alias, h.hostName, h.user, h.port, h.alreadyAdded]),
      [
        ['gateway-1', '10.1.2.3', 'claw', 2222, false],
        ['lab-mini', undefined, 'ops', undefined, false],
        ['known', undefined, undefined, undefined, true],
      ],
    );
    assert.equal(found.localAvailable, true);
    const withLocal = await findNodeCandidates([{ id: 'here', host: 'local', status: 'active', labels: [] }], { home, systemConfigPath: null });
    assert.equal(withLocal.localAvailable, false, 'not offered twice');
    assert.equal(suggestNodeId('gw.example.com', ['gw']), 'gw-2');
  });

  test('Add Node from an ssh config host: offered with its details, id prefilled, node added with the alias as host', async () => {
    await writeRegistry([]);
    const api = await activateExtension();
    const { ui, offered } = scriptedUi((items) => items.find((i) => i.target?.host === 'gateway-1'), ['gateway-1', '']);
    const result = await runAddNode(api, ui, { home, systemConfigPath: null });
    assert.deepEqual(result, { outcome: 'added', nodeId: 'gateway-1' });
    const offeredLabels = offered.pick[0]!.map((i) => `${i.label}${i.description ? ` — ${i.description}` : ''}`);
    assert.ok(offeredLabels.includes('$(remote) gateway-1 — claw@10.1.2.3:2222'), offeredLabels.join('\n'));
    assert.ok(
      offeredLabels.some((l) => l.includes('This machine')),
      'this machine is offered',
    );
    assert.ok(offeredLabels.some((l) => l.includes('Import nodes-registry.json')));
    assert.ok(offeredLabels.some((l) => l.includes('Enter [user@]host[:port]')));
    assert.equal(offered.inputs[0]!.value, 'gateway-1', 'id prefilled');
    assert.deepEqual(offered.checks, ['gateway-1'], 'connection check offered');
    const node = await api.registry.get('gateway-1');
    assert.equal(node?.host, 'gateway-1');
    assert.equal(node?.stateDir, undefined);
  });

  test('Add Node with a typed target; a taken id is refused; cancelling adds nothing', async () => {
    const api = await activateExtension();
    const typed = scriptedUi((items) => items.find((i) => i.action === 'enter'), ['ops@127.0.0.1:2200', 'db', '/srv/openclaw']);
    assert.deepEqual(await runAddNode(api, typed.ui, { home, systemConfigPath: null }), { outcome: 'added', nodeId: 'db' });
    const db = await api.registry.get('db');
    assert.deepEqual([db?.host, db?.user, db?.port, db?.stateDir], ['127.0.0.1', 'ops', 2200, '/srv/openclaw']);

    const again = scriptedUi((items) => items.find((i) => i.action === 'enter'), ['127.0.0.1', undefined]);
    let idValidation: string | undefined;
    again.ui.input = async (options) => {
      if (options.title.includes('SSH')) return '127.0.0.1';
      idValidation = options.validate('db');
      return undefined;
    };
    assert.deepEqual(await runAddNode(api, again.ui, { home, systemConfigPath: null }), { outcome: 'cancelled' });
    assert.match(idValidation ?? '', /exists already/);
    assert.deepEqual((await api.registry.list()).map((n) => n.id).sort(), ['db', 'gateway-1']);
  });

  test('This machine → Check Connection (lists the agents) → Open SOUL.md opens the live file', async () => {
    await writeRegistry([]);
    const api = await activateExtension();
    const { ui } = scriptedUi((items) => items.find((i) => i.target?.host === 'local'), ['here', fixture.stateDir]);
    assert.deepEqual(await runAddNode(api, ui, { home, systemConfigPath: null }), { outcome: 'added', nodeId: 'here' });
    const check = await vscode.commands.executeCommand<ConnectionCheck | undefined>('openclaw.checkConnection', 'here');
    assert.ok(check, 'the check succeeded');
    assert.deepEqual([...check.agents].sort(), fixture.expectedAgents.map((a) => String(a.id)).sort());
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('openclaw.openSoul', { nodeId: 'here', agent: { id: 'main' } });
    assert.equal(uri?.scheme, 'openclaw');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), uri?.toString());
    assert.match(uri?.path ?? '', /\/SOUL\.md$/);
    assert.ok((vscode.window.activeTextEditor?.document.getText() ?? '').length > 0, 'SOUL.md has content');
  });

  test('the walkthrough: four steps with completion events and media that exist in the package', () => {
    const manifest = extension().packageJSON as {
      contributes: { walkthroughs: { id: string; steps: { id: string; completionEvents: string[]; media: { image: string } }[] }[] };
    };
    const [walkthrough] = manifest.contributes.walkthroughs;
    assert.equal(walkthrough?.id, 'openclaw.getStarted');
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      ['addNode', 'checkConnection', 'firstBackup', 'openSoul'],
    );
    for (const step of walkthrough.steps) {
      assert.ok(step.completionEvents.length > 0, `${step.id} completes by itself`);
      assert.ok(existsSync(join(extension().extensionPath, step.media.image)), `${step.media.image} exists`);
    }
  });

  test('every setting has a default and a markdownDescription in English and Japanese', () => {
    const root = extension().extensionPath;
    // packageJSON in the host is already localized: read the manifest as written.
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { default?: unknown; markdownDescription?: string }> } };
    };
    const en = JSON.parse(readFileSync(join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const ja = JSON.parse(readFileSync(join(root, 'package.nls.ja.json'), 'utf8')) as Record<string, string>;
    const properties = Object.entries(manifest.contributes.configuration.properties);
    assert.ok(properties.length >= 7);
    for (const [name, property] of properties) {
      assert.ok('default' in property, `${name} has a default`);
      const key = /^%(.+)%$/.exec(property.markdownDescription ?? '')?.[1];
      assert.ok(key, `${name} has a localized markdownDescription`);
      assert.ok(en[key] && ja[key] && en[key] !== ja[key], `${name}: "${key}" is in package.nls.json and translated in package.nls.ja.json`);
    }
  });

  test('Show Logs runs (the OpenClaw Manager log channel is shown)', async () => {
    await activateExtension();
    await vscode.commands.executeCommand('openclaw.showLogs');
  });
});
