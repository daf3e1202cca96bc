import { createServer, type Server } from 'node:http';

/**
 * A loopback server speaking just enough of the OpenAI chat-completions API for one OpenClaw
 * agent turn: it answers "ok" and reports `promptTokens` as the prompt size, so OpenClaw records
 * a session whose context usage the test knows in advance.
 */
export interface FakeModel {
  port: number;
  requests: number;
  close(): Promise<void>;
}

export async function startFakeModel(promptTokens: number): Promise<FakeModel> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.requests++;
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] }));
      }
      const request = body ? (JSON.parse(body) as { stream?: boolean }) : {};
      const usage = { prompt_tokens: promptTokens, completion_tokens: 3, total_tokens: promptTokens + 3 };
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
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `openclaw config patch` content registering the fake model as every agent's default. */
export function fakeModelPatch(port: number, contextWindow: number): Record<string, unknown> {
  return {
    models: {
      providers: {
        fake: {
          baseUrl: `http://127.0.0.1:${port}/v1`,
          apiKey: 'not-a-secret',
          api: 'openai-completions',
          models: [
            {
              id: 'fake-model',
              name: 'Fake',
              reasoning: false,
              input: ['text'],
              cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
              contextWindow,
              maxTokens: 1000,
            },
          ],
        },
      },
    },
    agents: { defaults: { model: { primary: 'fake/fake-model' } } },
  };
}
