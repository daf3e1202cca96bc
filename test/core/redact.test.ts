import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { redactSecrets } from '../../src/core/redact';

describe('redactSecrets', () => {
  const cases: [string, string][] = [
    ['GET /hooks?token=abc123&x=1', 'GET /hooks?token=***&x=1'],
    ['{"apiKey": "sk-live-123456", "name": "n"}', '{"apiKey": "***", "name": "n"}'],
    ["{ gateway: { auth: { token: 'abc' } } }", "{ gateway: { auth: { token: '***' } } }"],
    ['Authorization: Bearer eyJhbGciOi.payload.sig', 'Authorization: Bearer ***'],
    ['curl -H "authorization: Basic dXNlcjpwdw=="', 'curl -H "authorization: Basic ***"'],
    ['password: hunter2', 'password: ***'],
    ['OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx', 'OPENAI_API_KEY=***'],
    ['clone https://bob:s3cret@git.example/x', 'clone https://bob:***@git.example/x'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123 leaked', 'token *** leaked'],
  ];
  for (const [input, expected] of cases) {
    it(`masks ${JSON.stringify(input)}`, () => assert.equal(redactSecrets(input), expected));
  }

  it('masks private key blocks', () => {
    const text = 'before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\nAAAA\n-----END OPENSSH PRIVATE KEY-----\nafter';
    const out = redactSecrets(text);
    assert.ok(!out.includes('b3BlbnNzaC1rZXk'));
    assert.ok(out.startsWith('before\n') && out.endsWith('\nafter'));
  });

  it('leaves ordinary text alone', () => {
    const text = 'node alpha: gateway running on port 18789, 3 agents, user=claw';
    assert.equal(redactSecrets(text), text);
  });
});
