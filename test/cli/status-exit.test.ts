import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFailing } from '../../src/cli/commands/status';
import type { Anomaly, NodeStatus } from '../../src/core/status';

/** Which node results make `ocm status` exit 1 (without --no-fail). Over real sshd: test/integration/status/status-ssh.test.ts. */

function status(reachable: boolean, anomalies: Array<Pick<Anomaly, 'kind' | 'severity'>>): NodeStatus {
  return {
    nodeId: 'n1',
    host: 'h',
    checkedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    reachable,
    anomalies: anomalies.map((a) => ({ ...a, message: a.kind })),
  };
}

describe('ocm status exit code', () => {
  it('fails for an unreachable node, a gateway down or not ready, a broken config', () => {
    assert.equal(isFailing(status(false, [{ kind: 'unreachable', severity: 'error' }])), true);
    assert.equal(isFailing(status(false, [])), true, 'unreachable even without an anomaly listed');
    assert.equal(isFailing(status(true, [{ kind: 'gatewayNotReady', severity: 'error' }])), true);
    assert.equal(isFailing(status(true, [{ kind: 'gatewayDown', severity: 'error' }])), true);
    assert.equal(isFailing(status(true, [{ kind: 'configBroken', severity: 'error' }])), true);
  });

  it('passes for a healthy node and for warnings only (not installed, disk almost full, context use)', () => {
    assert.equal(isFailing(status(true, [])), false);
    assert.equal(
      isFailing(
        status(true, [
          { kind: 'notInstalled', severity: 'warning' },
          { kind: 'diskAlmostFull', severity: 'warning' },
          { kind: 'contextOverThreshold', severity: 'warning' },
        ]),
      ),
      false,
    );
  });
});
