/**
 * A real OpenClaw 2026.9.6 gateway for session tests, started fast: the pre-onboarded fixture tree
 * (test/fixtures/openclaw/v2026.9.6, no onboarding per test) is copied into a temp HOME, a loopback
 * stub model is registered as the default model (its reported prompt size can be changed between
 * turns, and it can be told to hang, for fault tests), and `openclaw gateway run` is started.
 * An `openclaw` wrapper (bin/openclaw) exports HOME and the offline switches, so a registry entry
 * `host: local, openclawPath: wrapper, stateDir` reaches this node from an in-process CLI.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { deepMerge } from '../../src/core/openclaw/config';
import { shellQuote } from '../../src/core/transport/shell-quote';
import { freePort } from './free-port';
import { ensureOpenclaw, OpenclawTestNode } from './openclaw';
import { materialiseFixture, type MaterialisedFixture } from './openclaw-fixtures';

export interface StubModel {
  port: number;
  /** Prompt size the next answers report. */
  promptTokens: number;
  /** While true, requests are held without an answer (released on close). */
  hang: boolean;
  requests: number;
  close(): Promise<void>;
}

export async function startStubModel(promptTokens: number): Promise<StubModel> {
  const held: Array<() => void> = [];
  const state: StubModel = { port: 0, promptTokens, hang: false, requests: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.requests++;
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] }));
      }
      const answer = (): void => {
        const request = body ? (JSON.parse(body) as { stream?: boolean }) : {};
        const usage = { prompt_tokens: state.promptTokens, completion_tokens: 3, total_tokens: state.promptTokens + 3 };
        const base = { id: 'c1', created: 1, model: 'fake-model' };
        if (request.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(
            `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] })}\n\n`,
          );
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
          res.end('data: [DONE]\n\n');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              ...base,
              object: 'chat.completion',
              choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
              usage,
            }),
          );
        }
      };
      if (state.hang) held.push(() => res.destroy());
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  state.port = (server.address() as { port: number }).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const h of held.splice(0)) h();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export interface GatewayNode {
  fixture: MaterialisedFixture;
  openclaw: OpenclawTestNode;
  model: StubModel;
  wrapper: string;
  pid?: number;
  start(): Promise<number>;
  /** SIGKILL to the gateway's process group (a crash, not a clean stop). */
  kill(): void;
  cleanup(): Promise<void>;
}

/** Copies the fixture, registers the stub model with `contextWindow`, writes the wrapper; does not start the gateway. */
export async function prepareGatewayNode(options: { contextWindow: number; promptTokens: number }): Promise<GatewayNode> {
  const fixture = await materialiseFixture('v2026.9.6');
  const install = await ensureOpenclaw('2026.9.6');
  const model = await startStubModel(options.promptTokens);
  const port = await freePort();
  const openclaw = new OpenclawTestNode(install, { version: '2026.9.6', home: fixture.home, port });
  const config = JSON.parse(await readFile(openclaw.configPath, 'utf8')) as Record<string, unknown>;
  const patch = {
    gateway: { port },
    models: {
      providers: {
        fake: {
          baseUrl: `http://127.0.0.1:${model.port}/v1`,
          apiKey: 'not-a-secret',
          api: 'openai-completions',
          models: [
            {
              id: 'fake-model',
              name: 'Fake',
              reasoning: false,
              input: ['text'],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow: options.contextWindow,
              maxTokens: 1000,
            },
          ],
        },
      },
    },
    agents: { defaults: { model: { primary: 'fake/fake-model' } } },
  };
  await writeFile(openclaw.configPath, JSON.stringify(deepMerge(config, patch), null, 2));
  const wrapper = join(fixture.home, 'bin', 'openclaw');
  await mkdir(join(fixture.home, 'bin'), { recursive: true });
  const env = Object.entries({ ...install.env, HOME: fixture.home })
    .filter(([k]) => k === 'HOME' || k.startsWith('OPENCLAW_'))
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  await writeFile(wrapper, `#!/bin/sh\nexport ${env}\nexec ${shellQuote(install.nodeBin)} ${shellQuote(install.bin)} "$@"\n`);
  await chmod(wrapper, 0o755);
  const node: GatewayNode = {
    fixture,
    openclaw,
    model,
    wrapper,
    async start() {
      // Generous: on a loaded 2-core machine the gateway has taken 45 s to become ready.
      node.pid = await openclaw.startGateway(240_000);
      return node.pid;
    },
    kill() {
      if (node.pid) {
        try {
          process.kill(-node.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
    async cleanup() {
      await openclaw.stopGateway().catch(() => undefined);
      node.kill();
      await model.close();
      await fixture.cleanup();
    },
  };
  return node;
}
