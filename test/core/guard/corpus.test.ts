import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildFingerprintIndex, checkMixup, type FingerprintIndex } from '../../../src/core/guard';
import { storePreEditBackup } from '../../../src/core/history/store';
import type { AgentInfo } from '../../../src/core/openclaw';
import {
  atlas,
  FLEET,
  juniper,
  kestrel,
  mika,
  nova,
  sable,
  SHARED_MEMORY_RULES,
  SHARED_SOUL,
  TEAM_FACT,
  workspaceOf,
  type AgentFixture,
} from './corpus-agents';

/**
 * Precision of the mix-up guard on a realistic fleet (corpus-agents.ts): every real mix-up must
 * be caught, no ordinary edit may be flagged. The index is built the way the faces build it —
 * from the history of saved versions — by buildFingerprintIndex.
 */

type File = keyof AgentFixture['files'];
interface Case {
  name: string;
  target: AgentFixture;
  file: File;
  previous: string | undefined;
  next: string;
}

function section(text: string, heading: string): string {
  const start = text.indexOf(`## ${heading}`);
  assert.ok(start >= 0, `fixture has ## ${heading}`);
  const end = text.indexOf('\n## ', start + 3);
  return text.slice(start, end < 0 ? undefined : end + 1);
}

function lines(text: string, from: number, count: number): string {
  return (
    text
      .split('\n')
      .slice(from, from + count)
      .join('\n') + '\n'
  );
}

const A = atlas.files;

const MIXUPS: Case[] = [
  { name: 'whole MEMORY.md swapped with another agent’s', target: atlas, file: 'MEMORY.md', previous: A['MEMORY.md'], next: nova.files['MEMORY.md'] },
  { name: 'whole SOUL.md swapped', target: atlas, file: 'SOUL.md', previous: A['SOUL.md'], next: juniper.files['SOUL.md'] },
  { name: 'whole IDENTITY.md swapped', target: atlas, file: 'IDENTITY.md', previous: A['IDENTITY.md'], next: kestrel.files['IDENTITY.md'] },
  { name: 'whole USER.md swapped', target: nova, file: 'USER.md', previous: nova.files['USER.md'], next: juniper.files['USER.md'] },
  {
    name: 'five lines of another agent’s memory appended',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'] + '\n' + lines(nova.files['MEMORY.md'], 8, 5),
  },
  {
    name: 'a whole section from another agent appended',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'] + '\n' + section(kestrel.files['MEMORY.md'], 'Vendors'),
  },
  {
    name: 'a section pasted into the middle',
    target: juniper,
    file: 'MEMORY.md',
    previous: juniper.files['MEMORY.md'],
    next: juniper.files['MEMORY.md'].replace('## Regulars', section(nova.files['MEMORY.md'], 'Lessons') + '\n## Regulars'),
  },
  {
    name: 'Japanese memory block pasted into another agent',
    target: juniper,
    file: 'MEMORY.md',
    previous: juniper.files['MEMORY.md'],
    next: juniper.files['MEMORY.md'] + '\n' + section(mika.files['MEMORY.md'], '家族のこと'),
  },
  {
    name: 'whole Japanese MEMORY.md into an English agent',
    target: kestrel,
    file: 'MEMORY.md',
    previous: kestrel.files['MEMORY.md'],
    next: mika.files['MEMORY.md'],
  },
  {
    name: 'pasted section lightly edited (a few words changed)',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next:
      A['MEMORY.md'] +
      '\n' +
      section(nova.files['MEMORY.md'], 'Ongoing research').replace('41 papers', '43 papers').replace('0.71', '0.73').replace('Drive', 'Dropbox'),
  },
  {
    name: 'IDENTITY.md renamed to another agent’s name',
    target: atlas,
    file: 'IDENTITY.md',
    previous: A['IDENTITY.md'],
    next: A['IDENTITY.md'].replace('**Name:** Atlas', '**Name:** Nova'),
  },
  {
    name: 'SOUL.md says it is another agent',
    target: atlas,
    file: 'SOUL.md',
    previous: A['SOUL.md'],
    next: A['SOUL.md'].replace('You are Atlas, the operations agent', 'You are Juniper, the operations agent'),
  },
  {
    name: 'MEMORY.md gains another agent’s self-statement',
    target: nova,
    file: 'MEMORY.md',
    previous: nova.files['MEMORY.md'],
    next: nova.files['MEMORY.md'] + '\n- I am Kestrel and I keep the studio books tidy.\n',
  },
  {
    name: 'another agent’s daily note pasted into MEMORY.md',
    target: nova,
    file: 'MEMORY.md',
    previous: nova.files['MEMORY.md'],
    next: nova.files['MEMORY.md'] + '\n## From yesterday\n' + atlas.dailyNote!.split('\n').slice(2).join('\n'),
  },
  {
    name: 'memory of an agent on another node pasted',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'] + '\n' + section(sable.files['MEMORY.md'], 'The novel'),
  },
  {
    name: 'another agent’s USER.md facts pasted into USER.md',
    target: kestrel,
    file: 'USER.md',
    previous: kestrel.files['USER.md'],
    next: kestrel.files['USER.md'] + lines(nova.files['USER.md'], 4, 2),
  },
  {
    name: 'two sections from another agent',
    target: juniper,
    file: 'MEMORY.md',
    previous: juniper.files['MEMORY.md'],
    next: juniper.files['MEMORY.md'] + '\n' + section(kestrel.files['MEMORY.md'], 'Accounts') + section(kestrel.files['MEMORY.md'], 'Vendors'),
  },
  { name: 'new MEMORY.md created with another agent’s content', target: juniper, file: 'MEMORY.md', previous: undefined, next: atlas.files['MEMORY.md'] },
  {
    name: 'another agent’s memory pasted under own new notes',
    target: kestrel,
    file: 'MEMORY.md',
    previous: kestrel.files['MEMORY.md'],
    next:
      kestrel.files['MEMORY.md'] + '\n## Notes\n\n- Ines asked for a chart of monthly software spend.\n' + section(juniper.files['MEMORY.md'], 'Shop facts'),
  },
  {
    name: 'Japanese IDENTITY.md swapped into another agent',
    target: juniper,
    file: 'IDENTITY.md',
    previous: juniper.files['IDENTITY.md'],
    next: mika.files['IDENTITY.md'],
  },
  { name: 'SOUL.md of an agent on another node', target: kestrel, file: 'SOUL.md', previous: kestrel.files['SOUL.md'], next: sable.files['SOUL.md'] },
  {
    name: 'pasted block reformatted (numbered list, capitals)',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next:
      A['MEMORY.md'] +
      '\n## Shop\n' +
      section(juniper.files['MEMORY.md'], 'Shop facts')
        .split('\n')
        .slice(2)
        .filter(Boolean)
        .map((l, i) => `${i + 1}. ${l.slice(2).toUpperCase()}`)
        .join('\n') +
      '\n',
  },
  { name: 'SOUL.md swapped between Japanese and English agents', target: mika, file: 'SOUL.md', previous: mika.files['SOUL.md'], next: nova.files['SOUL.md'] },
];

const ORDINARY: Case[] = [
  {
    name: 'appending a note',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'] + '- 2026-11-25: rotated the Grafana admin password after the contractor left; stored in the vault.\n',
  },
  {
    name: 'editing one line',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'].replace('the leader is usually 02', 'the leader moved to 03 after the November failover'),
  },
  {
    name: 'deleting a section',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'].replace(section(A['MEMORY.md'], 'Incidents'), ''),
  },
  {
    name: 'renaming the agent itself (own name extended)',
    target: atlas,
    file: 'IDENTITY.md',
    previous: A['IDENTITY.md'],
    next: A['IDENTITY.md'].replace('**Name:** Atlas', '**Name:** Atlas Prime'),
  },
  {
    name: 'renaming the agent to a brand-new name',
    target: atlas,
    file: 'IDENTITY.md',
    previous: A['IDENTITY.md'],
    next: A['IDENTITY.md'].replace('**Name:** Atlas', '**Name:** Meridian'),
  },
  {
    name: 'changing vibe and emoji',
    target: nova,
    file: 'IDENTITY.md',
    previous: nova.files['IDENTITY.md'],
    next: nova.files['IDENTITY.md'].replace('🦉', '🔭').replace('curious, precise', 'curious, careful'),
  },
  {
    name: 'adding the shared boilerplate every agent has',
    target: atlas,
    file: 'SOUL.md',
    previous: A['SOUL.md'].replace(SHARED_SOUL, ''),
    next: A['SOUL.md'],
  },
  { name: 'saving unchanged', target: juniper, file: 'MEMORY.md', previous: juniper.files['MEMORY.md'], next: juniper.files['MEMORY.md'] },
  {
    name: 'promoting the agent’s own daily note into MEMORY.md',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'] + '\n## Recent\n' + atlas.dailyNote!.split('\n').slice(2).join('\n'),
  },
  {
    name: 'mentioning a colleague agent by name',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'],
    next: A['MEMORY.md'] + '- Asked Nova for the latency paper; Kestrel confirmed the Grafana Cloud invoice.\n',
  },
  { name: 'USER.md timezone change', target: atlas, file: 'USER.md', previous: A['USER.md'], next: A['USER.md'].replace('Europe/Berlin', 'America/Toronto') },
  {
    name: 'Japanese agent appends a Japanese note',
    target: mika,
    file: 'MEMORY.md',
    previous: mika.files['MEMORY.md'],
    next: mika.files['MEMORY.md'] + '- 十二月の第一土曜日は結衣の発表会。ビデオカメラの充電を前日に確認する。\n',
  },
  {
    name: 'reordering sections',
    target: nova,
    file: 'MEMORY.md',
    previous: nova.files['MEMORY.md'],
    next: nova.files['MEMORY.md']
      .replace(section(nova.files['MEMORY.md'], 'Lessons'), '')
      .replace('## Ongoing research', section(nova.files['MEMORY.md'], 'Lessons') + '\n## Ongoing research'),
  },
  {
    name: 'adding a list of links',
    target: nova,
    file: 'MEMORY.md',
    previous: nova.files['MEMORY.md'],
    next: nova.files['MEMORY.md'] + '\n## Links\n\n- https://doi.org/10.1000/rag-legal-2026\n- https://arxiv.org/abs/2610.01234v3\n',
  },
  {
    name: 'adding the shared memory rules paragraph',
    target: juniper,
    file: 'MEMORY.md',
    previous: juniper.files['MEMORY.md'].replace(SHARED_MEMORY_RULES, ''),
    next: juniper.files['MEMORY.md'],
  },
  {
    name: 'editing the tone section of SOUL.md',
    target: kestrel,
    file: 'SOUL.md',
    previous: kestrel.files['SOUL.md'],
    next: kestrel.files['SOUL.md']
      .replace('quietly funny', 'dry')
      .replace('Numbers before adjectives.', 'Numbers before adjectives, always with the source document.'),
  },
  {
    name: 'nightly dreaming consolidates the agent’s own memory',
    target: atlas,
    file: 'MEMORY.md',
    previous: A['MEMORY.md'] + '\n' + atlas.dailyNote!,
    next: `# MEMORY.md\n\n${SHARED_MEMORY_RULES}\n## Infrastructure\n\n- Postgres: pg-main-01..03 under Patroni; leader usually 02. Billing backups 02:30 UTC (~40 min), never restart pg then.\n- Terraform state is in the platform-state bucket, locked through DynamoDB table tf-locks.\n- Priya wants the Loki retention cut from thirty to fourteen days to save disk on the logging cluster.\n\n## Team\n\n${TEAM_FACT}\n`,
  },
  {
    name: 'a team fact that several agents share',
    target: nova,
    file: 'MEMORY.md',
    previous: nova.files['MEMORY.md'],
    next: nova.files['MEMORY.md'] + `\n${TEAM_FACT}\n`,
  },
  {
    name: 'a new agent writes its first own memory',
    target: { ...juniper, id: 'intern', name: 'Pip' },
    file: 'MEMORY.md',
    previous: undefined,
    next: `# MEMORY.md\n\n${SHARED_MEMORY_RULES}\n## Getting started\n\n- My human is onboarding me to triage the shared inbox; start with invoices and delivery questions.\n`,
  },
  {
    name: 'filling an empty USER.md',
    target: juniper,
    file: 'USER.md',
    previous: '',
    next: '# USER.md\n\n- **Name:** Sam Whitaker\n- Prefers voice notes on Fridays.\n',
  },
  {
    name: 'fixing typos across the file',
    target: juniper,
    file: 'MEMORY.md',
    previous: juniper.files['MEMORY.md'].replace('fortnight', 'fortnigth').replace('warehouse', 'warehosue'),
    next: juniper.files['MEMORY.md'],
  },
  {
    name: 'adding a table of own data',
    target: kestrel,
    file: 'MEMORY.md',
    previous: kestrel.files['MEMORY.md'],
    next:
      kestrel.files['MEMORY.md'] +
      '\n## Monthly software spend\n\n| Tool | Amount |\n|---|---|\n| Figma | 45.00 USD |\n| Notion | 16.00 USD |\n| Xero | 30.00 GBP |\n',
  },
  {
    name: 'SOUL.md mentions a colleague to hand work to',
    target: atlas,
    file: 'SOUL.md',
    previous: A['SOUL.md'],
    next: A['SOUL.md'] + '\nHand research questions to Nova and money questions to Kestrel; do not answer them yourself.\n',
  },
  {
    name: 'agent on another node appends its own note',
    target: sable,
    file: 'MEMORY.md',
    previous: sable.files['MEMORY.md'],
    next: sable.files['MEMORY.md'] + '- Elspeth cut the prologue; the lighthouse scene now opens chapter one.\n',
  },
];

let home: string;
let index: FingerprintIndex;

function agentInfo(a: AgentFixture): AgentInfo {
  return {
    id: a.id,
    name: a.name,
    workspace: workspaceOf(a),
    agentDir: `/home/claw/.openclaw/agents/${a.id}/agent`,
    isDefault: a.id === 'main',
    source: 'entries',
  };
}

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'ocm-guard-corpus-'));
  for (const a of FLEET) {
    for (const [name, content] of Object.entries(a.files)) {
      await storePreEditBackup(home, { nodeId: a.nodeId, remotePath: `${workspaceOf(a)}/${name}`, content: Buffer.from(content), reason: 'saved' });
    }
    if (a.dailyNote)
      await storePreEditBackup(home, {
        nodeId: a.nodeId,
        remotePath: `${workspaceOf(a)}/memory/2026-11-20.md`,
        content: Buffer.from(a.dailyNote),
        reason: 'saved',
      });
  }
  const nodes = [...new Set(FLEET.map((a) => a.nodeId))];
  index = await buildFingerprintIndex({ home, rosters: nodes.map((nodeId) => ({ nodeId, agents: FLEET.filter((a) => a.nodeId === nodeId).map(agentInfo) })) });
});

after(async () => {
  await rm(home, { recursive: true, force: true });
});

function verdict(c: Case) {
  return checkMixup(index, { nodeId: c.target.nodeId, agentId: c.target.id, relativePath: c.file, names: [c.target.name] }, c.next, c.previous);
}

describe('mix-up guard corpus', () => {
  it('the index knows every agent, its names (config + IDENTITY.md) and its files', () => {
    assert.equal(index.agents.length, FLEET.length);
    assert.deepEqual(index.agents.find((a) => a.agentId === 'home')?.names, ['ミカ']);
    assert.equal(index.files.length, FLEET.length * 4 + 1);
    assert.ok(MIXUPS.length >= 20 && ORDINARY.length >= 20, 'at least 20 cases of each');
  });

  for (const c of MIXUPS) {
    it(`catches: ${c.name}`, () => {
      const v = verdict(c);
      assert.equal(v.ok, false, `${c.name} must be flagged`);
      const f = v.findings[0]!;
      assert.ok(f.lines.length > 0 && f.excerpt.length > 0, 'says what matched and where');
      assert.notEqual(`${f.other.nodeId}/${f.other.agentId}`, `${c.target.nodeId}/${c.target.id}`);
    });
  }

  for (const c of ORDINARY) {
    it(`lets through: ${c.name}`, () => {
      const v = verdict(c);
      assert.equal(v.ok, true, `${c.name} was flagged: ${JSON.stringify(v.findings.map((f) => [f.kind, f.other.agentId, f.matched, f.excerpt[0]]))}`);
    });
  }

  it('names the other agent and its file for a pasted section', () => {
    const v = verdict(MIXUPS[5]!);
    const f = v.findings.find((x) => x.kind === 'overlap')!;
    assert.equal(f.other.agentId, 'finance');
    assert.equal(f.file?.relativePath, 'MEMORY.md');
    assert.match(f.excerpt.join('\n'), /Figma bills annually/);
  });
});
