import type {
  AnyAuthMethod,
  AuthenticationType,
  AuthHandlerMiddleware,
  IdentityCallback,
  NextAuthHandler,
  OpenSSHAgent,
  ParsedKey,
  PublicKeyEntry,
} from 'ssh2';
import { OcmError } from '../errors';
import { once, ssh2 } from '../vendor';
import type { ConnectTarget, IdentityCandidate } from './connect-target';
import { decryptPrivateKey } from './identities';
import { formatTarget } from '../registry/target';

/**
 * ssh2 `authHandler` for a ConnectTarget, in OpenSSH's order: agent keys, key files (asking for
 * passphrases through the face's prompt), password, keyboard-interactive. Secrets go straight from
 * the prompt to ssh2 and are not kept or logged.
 */

export interface TargetAuth {
  /** Pass as ssh2's `authHandler`. */
  handler: AuthHandlerMiddleware;
  /**
   * Why authentication failed, for when ssh2 reports "All configured authentication methods
   * failed": kind `cancelled` when the user dismissed a prompt, otherwise `auth` with what was tried.
   */
  failure(): OcmError;
}

/** How many times to ask for a password / passphrase before moving on (OpenSSH NumberOfPasswordPrompts). */
const PROMPT_ATTEMPTS = 3;

type Step = { kind: 'agent' } | { kind: 'key'; identity: IdentityCandidate } | { kind: 'password'; attempt: number } | { kind: 'keyboard-interactive' };

export interface AuthHandlerHooks {
  /** Called with true when a prompt opens and false when it is answered (the connect timeout pauses meanwhile). */
  onPrompt?: (open: boolean) => void;
}

export function createAuthHandler(target: ConnectTarget, hooks: AuthHandlerHooks = {}): TargetAuth {
  /** Runs one face prompt with the connect timer paused: people take longer than a handshake. */
  const asking = async <T>(question: () => Promise<T>): Promise<T> => {
    hooks.onPrompt?.(true);
    try {
      return await question();
    } finally {
      hooks.onPrompt?.(false);
    }
  };

  const steps: Step[] = [];
  if (target.agentSocket) steps.push({ kind: 'agent' });
  for (const identity of target.identities) steps.push({ kind: 'key', identity });
  if (target.prompt && target.passwordAuthentication !== false) {
    for (let attempt = 1; attempt <= PROMPT_ATTEMPTS; attempt++) steps.push({ kind: 'password', attempt });
  }
  if (target.prompt && target.kbdInteractiveAuthentication !== false) steps.push({ kind: 'keyboard-interactive' });

  const tried: string[] = [];
  const notes: string[] = [];
  let serverMethods: AuthenticationType[] | undefined;
  let cancelled = false;
  let next = 0;

  const allowed = (methodsLeft: AuthenticationType[] | null, method: AuthenticationType): boolean => methodsLeft === null || methodsLeft.includes(method);

  async function nextMethod(methodsLeft: AuthenticationType[] | null): Promise<AnyAuthMethod | false> {
    const username = target.username;
    while (next < steps.length) {
      const step = steps[next++]!;
      switch (step.kind) {
        case 'agent': {
          if (!allowed(methodsLeft, 'publickey')) continue;
          if (target.identitiesOnly) {
            const wanted = [...target.identities.flatMap((i) => (i.publicKey ? [i.publicKey] : [])), ...(target.agentOnlyKeys ?? [])];
            if (wanted.length === 0) continue;
            tried.push(`ssh-agent keys matching IdentityFile (${target.agentSocket})`);
            return { type: 'agent', username, agent: filteredAgent(target.agentSocket!, wanted) };
          }
          tried.push(`ssh-agent (${target.agentSocket})`);
          return { type: 'agent', username, agent: target.agentSocket! };
        }
        case 'key': {
          if (!allowed(methodsLeft, 'publickey')) continue;
          const method = await keyMethod(step.identity, username);
          if (method) return method;
          continue;
        }
        case 'password': {
          if (!allowed(methodsLeft, 'password') || cancelled) continue;
          const password = await asking(() =>
            target.prompt!.password({ nodeId: target.nodeId, username, host: target.host, ...(target.port !== 22 ? { port: target.port } : {}) }),
          );
          if (password === undefined) {
            cancelled = true;
            return false;
          }
          if (step.attempt === 1) tried.push('password');
          return { type: 'password', username, password };
        }
        case 'keyboard-interactive': {
          if (!allowed(methodsLeft, 'keyboard-interactive') || cancelled) continue;
          tried.push('keyboard-interactive');
          return {
            type: 'keyboard-interactive',
            username,
            prompt: (name, instructions, _lang, prompts, finish) => {
              if (prompts.length === 0) return finish([]);
              asking(() =>
                target.prompt!.keyboardInteractive({
                  nodeId: target.nodeId,
                  name,
                  instructions,
                  prompts: prompts.map((p) => ({ prompt: p.prompt, echo: Boolean(p.echo) })),
                }),
              ).then(
                (answers) => {
                  if (answers === undefined) cancelled = true;
                  finish(answers ?? []);
                },
                () => {
                  cancelled = true;
                  finish([]);
                },
              );
            },
          };
        }
      }
    }
    return false;
  }

  async function keyMethod(identity: IdentityCandidate, username: string): Promise<AnyAuthMethod | undefined> {
    if (!identity.encrypted) {
      tried.push(`key ${identity.path}`);
      return { type: 'publickey', username, key: identity.privateKey };
    }
    if (!target.prompt) {
      notes.push(`${identity.path} needs a passphrase and nothing can ask for it (load it into ssh-agent with ssh-add)`);
      return undefined;
    }
    for (let attempt = 1; attempt <= PROMPT_ATTEMPTS; attempt++) {
      const prompt = target.prompt;
      const passphrase = await asking(() => prompt.passphrase({ nodeId: target.nodeId, keyPath: identity.path }));
      if (passphrase === undefined) {
        notes.push(`the passphrase prompt for ${identity.path} was dismissed`);
        return undefined;
      }
      const decrypted = decryptPrivateKey(identity.privateKey, passphrase, identity.path);
      if (!(decrypted instanceof OcmError)) {
        tried.push(`key ${identity.path}`);
        return { type: 'publickey', username, key: identity.privateKey, passphrase };
      }
    }
    notes.push(`wrong passphrase for ${identity.path} (${PROMPT_ATTEMPTS} attempts)`);
    return undefined;
  }

  const handler: AuthHandlerMiddleware = (methodsLeft, _partialSuccess, done: NextAuthHandler) => {
    // ssh2 passes null on the first call; later calls list what the server still accepts.
    const left = (methodsLeft as AuthenticationType[] | null) ?? null;
    if (left) serverMethods = left;
    nextMethod(left).then(
      (method) => done(method as AnyAuthMethod),
      () => done(false as unknown as AnyAuthMethod),
    );
  };

  return {
    handler,
    failure(): OcmError {
      const where = formatTarget({ user: target.username, host: target.host, port: target.port });
      if (cancelled) {
        return new OcmError('cancelled', `Login to node "${target.nodeId}" (${where}) was cancelled at a prompt. Connect again to retry.`, {
          nodeId: target.nodeId,
        });
      }
      const triedText = tried.length > 0 ? `Tried: ${tried.join(', ')}.` : 'No usable key, agent or password prompt was available.';
      const noteText = notes.length > 0 ? ` Note: ${notes.join('; ')}.` : '';
      const serverText = serverMethods ? ` The server accepts: ${serverMethods.join(', ')}.` : '';
      return new OcmError(
        'auth',
        `Authentication to node "${target.nodeId}" (${where}) failed. ${triedText}${noteText}${serverText} Add your public key to ~/.ssh/authorized_keys of ${target.username} on the node (ssh-copy-id), set the node's identityFile or User, or load the key into ssh-agent.`,
        { nodeId: target.nodeId, username: target.username, host: target.host, port: target.port, tried, notes, ...(serverMethods ? { serverMethods } : {}) },
      );
    },
  };
}

/**
 * An ssh-agent client that lists only the keys in `allowed` (IdentitiesOnly). The class extends
 * ssh2's, so it is defined when first needed (ssh2 is loaded on first use, see ../vendor).
 */
const filteredAgentClass = once(
  () =>
    class FilteredAgent extends ssh2().OpenSSHAgent {
      constructor(
        socketPath: string,
        private readonly allowed: readonly Buffer[],
      ) {
        super(socketPath);
      }

      override getIdentities(cb: IdentityCallback<ParsedKey>): void {
        super.getIdentities((err, keys) => {
          if (err || !keys) return cb(err, keys);
          cb(
            undefined,
            keys.filter((k) => this.allowed.some((blob) => blob.equals(publicBlobOfEntry(k)))),
          );
        });
      }
    },
);

function filteredAgent(socketPath: string, allowed: readonly Buffer[]): OpenSSHAgent {
  return new (filteredAgentClass())(socketPath, allowed);
}

/** Agent identities come as parsed keys or `{ pubKey }` entries depending on the ssh2 version. */
function publicBlobOfEntry(entry: ParsedKey | PublicKeyEntry): Buffer {
  const key = 'pubKey' in entry ? entry.pubKey : entry;
  if ('getPublicSSH' in key) return Buffer.from(key.getPublicSSH());
  const inner = key.pubKey;
  if (Buffer.isBuffer(inner)) return inner;
  if (typeof inner === 'string') return Buffer.alloc(0);
  return Buffer.from(inner.getPublicSSH());
}
