import { createServer, type Server } from 'node:http';

/**
 * A tiny OpenAI chat-completions server on loopback that drives a real OpenClaw agent turn: to a
 * request without a tool result it answers with one `write` tool call (path + content chosen by
 * the test), and to the follow-up it answers "done". Streaming (SSE) and plain JSON are both
 * served. `holdToolCall()` keeps the tool-call answer back until `release()`, so a test can act
 * at a precise moment of the agent's turn.
 */
export interface StubModel {
  port: number;
  /** What the agent's next `write` call writes. */
  setWrite(path: string, content: string): void;
  /** The next tool-call answer waits for release(). */
  holdToolCall(): void;
  release(): void;
  /** Resolves when a request that would get the tool call has arrived (and is being held). */
  toolCallRequested(): Promise<void>;
  requests: number;
  close(): Promise<void>;
}

export async function startStubModel(): Promise<StubModel> {
  let write = { path: 'MEMORY.md', content: 'written by the agent\n' };
  let held: Promise<void> | undefined;
  let releaseHeld: (() => void) | undefined;
  let notifyRequested: (() => void) | undefined;
  let requested = new Promise<void>((r) => (notifyRequested = r));
  const stub: Partial<StubModel> & { requests: number } = { requests: 0 };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void (async () => {
        stub.requests++;
        if (req.url?.endsWith('/models')) {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ object: 'list', data: [{ id: 'stub-model', object: 'model' }] }));
          return;
        }
        let request: {
          model?: string;
          stream?: boolean;
          messages?: { role: string }[];
          tools?: { function?: { name?: string; parameters?: { properties?: Record<string, unknown> } } }[];
        } = {};
        try {
          request = JSON.parse(body);
        } catch {
          /* not JSON: answer with plain text below */
        }
        const writeTool = (request.tools ?? []).find((t) => t.function?.name === 'write');
        const afterTool = (request.messages ?? []).some((m) => m.role === 'tool');
        let message: Record<string, unknown>;
        if (writeTool && !afterTool) {
          notifyRequested?.();
          if (held) await held;
          const props = Object.keys(writeTool.function?.parameters?.properties ?? {});
          const pathKey = props.includes('path') ? 'path' : props.includes('file_path') ? 'file_path' : 'path';
          message = {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'write', arguments: JSON.stringify({ [pathKey]: write.path, content: write.content }) } },
            ],
          };
        } else {
          message = { role: 'assistant', content: 'done' };
        }
        const finish = message.tool_calls ? 'tool_calls' : 'stop';
        const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
        if (request.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          const calls = message.tool_calls as Record<string, unknown>[] | undefined;
          const delta = calls ? { role: 'assistant', tool_calls: calls.map((c, index) => ({ index, ...c })) } : { role: 'assistant', content: message.content };
          const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
            `data: ${JSON.stringify({ id: 'stub', object: 'chat.completion.chunk', created: 1, model: request.model, choices: [choice], ...extra })}\n\n`;
          res.write(chunk({ index: 0, delta, finish_reason: null }));
          res.write(chunk({ index: 0, delta: {}, finish_reason: finish }, { usage }));
          res.end('data: [DONE]\n\n');
        } else {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              id: 'stub',
              object: 'chat.completion',
              created: 1,
              model: request.model,
              choices: [{ index: 0, message, finish_reason: finish }],
              usage,
            }),
          );
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  stub.port = typeof address === 'object' && address ? address.port : 0;
  stub.setWrite = (path, content) => (write = { path, content });
  stub.holdToolCall = () => {
    held = new Promise<void>((r) => (releaseHeld = r));
    requested = new Promise<void>((r) => (notifyRequested = r));
  };
  stub.release = () => {
    releaseHeld?.();
    held = undefined;
  };
  stub.toolCallRequested = () => requested;
  stub.close = () =>
    new Promise<void>((resolve) => {
      stub.release!();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub as StubModel;
}

/** Config patch (JSON5 text) that makes the stub the default model of every agent. */
export function stubProviderPatch(port: number): string {
  return `{
  agents: { defaults: { model: { primary: "stub/stub-model" } } },
  models: { mode: "merge", providers: { stub: {
    baseUrl: "http://127.0.0.1:${port}/v1", apiKey: "stub-key-not-a-secret", api: "openai-completions",
    models: [{ id: "stub-model", name: "Stub", reasoning: false, input: ["text"], cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, contextWindow: 128000, maxTokens: 4096 }],
  } } },
}
`;
}
