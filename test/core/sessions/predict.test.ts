import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { autoCompactCandidates, DEFAULT_AUTO_COMPACT_COOLDOWN_MS, sessionsPredictedToOverflow } from '../../../src/core/sessions/auto-compact';
import { currentSeries, predictOverflow } from '../../../src/core/sessions/predict';
import {
  addSamples,
  annotatePredictions,
  MAX_SAMPLES,
  readSessionMemory,
  recordAndPredict,
  sessionId,
  takeDueNotifications,
  updateSessionMemory,
  type NodeSessionMemory,
} from '../../../src/core/sessions/samples';
import type { NodeStatus, SessionUsage } from '../../../src/core/status/types';

const H = 3_600_000;
const row = (over: Partial<SessionUsage> = {}): SessionUsage => ({
  agentId: 'main',
  key: 'agent:main:main',
  fresh: true,
  overThreshold: false,
  totalTokens: 100_000,
  contextTokens: 200_000,
  usedPct: 50,
  ...over,
});

describe('overflow prediction', () => {
  it('linear growth: rate and hours to the window', () => {
    const p = predictOverflow(
      [
        { t: 0, tokens: 100_000 },
        { t: H, tokens: 110_000 },
        { t: 2 * H, tokens: 120_000 },
      ],
      200_000,
    );
    assert.deepEqual(p, { growthTokensPerHour: 10_000, hoursToWindow: 8 });
  });
  it('a drop (compaction/reset) starts the series again', () => {
    const samples = [
      { t: 0, tokens: 150_000 },
      { t: H, tokens: 190_000 },
      { t: 2 * H, tokens: 20_000 },
      { t: 3 * H, tokens: 30_000 },
    ];
    assert.deepEqual(
      currentSeries(samples).map((s) => s.tokens),
      [20_000, 30_000],
    );
    assert.deepEqual(predictOverflow(samples, 200_000), { growthTokensPerHour: 10_000, hoursToWindow: 17 });
  });
  it('no prediction from one sample, from samples too close together, or for a shrinking/flat session', () => {
    assert.equal(predictOverflow([{ t: 0, tokens: 1 }], 10), undefined);
    assert.equal(
      predictOverflow(
        [
          { t: 0, tokens: 1 },
          { t: 60_000, tokens: 5 },
        ],
        10,
      ),
      undefined,
    );
    assert.deepEqual(
      predictOverflow(
        [
          { t: 0, tokens: 5 },
          { t: H, tokens: 5 },
        ],
        10,
      ),
      { growthTokensPerHour: 0 },
    );
  });
  it('already over the window: 0 hours', () => {
    assert.equal(
      predictOverflow(
        [
          { t: 0, tokens: 190 },
          { t: H, tokens: 210 },
        ],
        200,
      )?.hoursToWindow,
      0,
    );
  });
  it('old samples outside the window are ignored', () => {
    const p = predictOverflow(
      [
        { t: 0, tokens: 0 },
        { t: 30 * H, tokens: 100 },
        { t: 31 * H, tokens: 200 },
      ],
      1000,
    );
    assert.equal(p?.growthTokensPerHour, 100);
  });
});

describe('session memory (samples, notifications, bounds)', () => {
  it('records fresh samples only, merges bursts, restarts on a new session id, annotates rows', () => {
    const m: NodeSessionMemory = { version: 1, sessions: {} };
    addSamples(m, [row({ sessionId: 'a', totalTokens: 100_000, updatedAt: 0 })], 0);
    addSamples(m, [row({ sessionId: 'a', fresh: false, totalTokens: 999 })], 10 * 60_000);
    addSamples(m, [row({ sessionId: 'a', totalTokens: 110_000, updatedAt: H })], H);
    addSamples(m, [row({ sessionId: 'a', totalTokens: 111_000, updatedAt: H + 1000 })], H + 1000);
    const id = sessionId('main', 'agent:main:main');
    assert.equal(m.sessions[id]!.samples.length, 2, JSON.stringify(m.sessions[id]));
    const rows = [row({ totalTokens: 111_000 })];
    annotatePredictions(rows, m, 12);
    assert.ok(Math.abs(rows[0]!.growthTokensPerHour! - 11_000) < 10, String(rows[0]!.growthTokensPerHour));
    assert.equal(rows[0]!.predictedOverflow, true);
    addSamples(m, [row({ sessionId: 'b', totalTokens: 5, updatedAt: 2 * H })], 2 * H);
    assert.equal(m.sessions[id]!.samples.length, 1);
  });

  it('file is owner-only, bounded, and notifications fire once per session and reason', async () => {
    const home = await mkdtemp(join(tmpdir(), 'ocm-samples-'));
    try {
      const base = Date.now() - 10 * H;
      for (let i = 0; i < MAX_SAMPLES + 20; i++) {
        await updateSessionMemory(home, 'n1', (m) => addSamples(m, [row({ totalTokens: 1000 + i, updatedAt: base + i * 2 * 60_000 })], base + i * 2 * 60_000));
      }
      const memory = await readSessionMemory(home, 'n1');
      assert.equal(memory.sessions[sessionId('main', 'agent:main:main')]!.samples.length, MAX_SAMPLES);
      assert.equal((await stat(join(home, 'sessions', 'n1.json'))).mode & 0o777, 0o600);
      const over = row({ overThreshold: true, usedPct: 90 });
      assert.deepEqual(
        (await takeDueNotifications(home, 'n1', [over])).map((d) => d.reason),
        ['threshold'],
      );
      assert.deepEqual(await takeDueNotifications(home, 'n1', [over]), [], 'not twice');
      await takeDueNotifications(home, 'n1', [row()]);
      assert.equal((await takeDueNotifications(home, 'n1', [over])).length, 1, 'again after it recovered');
      const rows = [row({ predictedOverflow: true, hoursToWindow: 2 })];
      assert.deepEqual(
        (await takeDueNotifications(home, 'n1', rows)).map((d) => d.reason),
        ['predicted'],
      );
      await recordAndPredict(home, 'n1', [row()], { warnHours: 6 });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('auto-compaction cooldown and the doctor finding', () => {
  it('over the percentage and outside the cooldown only', () => {
    const m: NodeSessionMemory = { version: 1, sessions: {} };
    const hot = row({ usedPct: 91 });
    const cool = row({ key: 'agent:main:other', usedPct: 40 });
    assert.deepEqual(
      autoCompactCandidates([hot, cool], m, 90, 0).map((r) => r.key),
      ['agent:main:main'],
    );
    m.sessions[sessionId('main', 'agent:main:main')] = { samples: [], lastSeen: 0, autoCompactedAt: 1000 };
    assert.deepEqual(autoCompactCandidates([hot], m, 90, 1000 + DEFAULT_AUTO_COMPACT_COOLDOWN_MS - 1), [], 'not twice within the cooldown');
    assert.equal(autoCompactCandidates([hot], m, 90, 1000 + DEFAULT_AUTO_COMPACT_COOLDOWN_MS).length, 1);
    assert.deepEqual(
      autoCompactCandidates([row({ usedPct: undefined, fresh: false })], { version: 1, sessions: {} }, 90, 0),
      [],
      'unknown usage is never compacted',
    );
  });
  it('sessionsPredictedToOverflow lists over-threshold and predicted sessions with the fixing command', () => {
    const status = {
      nodeId: 'n1',
      sessions: {
        source: 'gateway-rpc',
        thresholdPct: 80,
        rows: [row({ overThreshold: true, usedPct: 85 }), row({ key: 'k2', predictedOverflow: true, hoursToWindow: 3 }), row({ key: 'k3' })],
      },
    } as unknown as NodeStatus;
    const found = sessionsPredictedToOverflow([status]);
    assert.deepEqual(
      found.map((f) => [f.key, f.reason]),
      [
        ['agent:main:main', 'threshold'],
        ['k2', 'predicted'],
      ],
    );
    assert.equal(found[1]!.fix, 'ocm sessions compact n1 k2 --agent main --yes');
  });
});
