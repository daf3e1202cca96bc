import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { l10n } from '../l10n';

/**
 * What the keeper client checks before it talks to a socket, and what it sends. The client hands
 * the keeper its prompt answers (passwords, passphrases) and environment, so it must be sure the
 * socket is the user's own keeper, not a listener planted by someone else:
 *   - the run folder is a real folder owned by this uid and not writable by group or others (and
 *     its parent cannot be changed by others either), so nobody else can put a socket there;
 *   - the socket file itself is owned by this uid.
 * Node.js offers no SO_PEERCRED, so the socket's owner (in a folder only we can write) stands in
 * for the peer's uid. And only the environment variables the served commands read are sent.
 */

/** What `ocm status` / `ocm agents <id>` read from their environment (home, ocm home, locale, colour, SSH agent, ssh_config's %u). */
const KEEPER_ENV = [
  'HOME',
  'USER',
  'LOGNAME',
  'USERNAME',
  'OCM_HOME',
  'XDG_CONFIG_HOME',
  'OCM_LANG',
  'LC_ALL',
  'LC_MESSAGES',
  'LANG',
  'NO_COLOR',
  'SSH_AUTH_SOCK',
] as const;

/** A localized reason not to use the keeper at `socketPath`, or undefined when its place is ours. */
export async function keeperPlaceProblem(socketPath: string, uid: number = process.getuid?.() ?? -1): Promise<string | undefined> {
  const dir = dirname(socketPath);
  const parent = dirname(dir);
  const parentStat = await lstatOrUndefined(parent);
  if (parentStat && ((parentStat.uid !== uid && parentStat.uid !== 0) || ((parentStat.mode & 0o022) !== 0 && (parentStat.mode & 0o1000) === 0))) {
    return l10n.t(
      'ocm: the connection keeper was not used: {0} can be changed by other users (owner uid {1}, mode {2}). Make it yours and run chmod go-w on it; this command runs without the keeper.',
      parent,
      parentStat.uid,
      octal(parentStat.mode),
    );
  }
  const dirStat = await lstatOrUndefined(dir);
  if (!dirStat) return undefined; // the keeper creates it (mode 700)
  if (!dirStat.isDirectory())
    return l10n.t('ocm: the connection keeper was not used: {0} is not a folder. Remove it; this command runs without the keeper.', dir);
  if (dirStat.uid !== uid)
    return l10n.t(
      'ocm: the connection keeper was not used: {0} belongs to uid {1}, not to you (uid {2}). Remove it; this command runs without the keeper.',
      dir,
      dirStat.uid,
      uid,
    );
  if ((dirStat.mode & 0o022) !== 0)
    return l10n.t(
      "ocm: the connection keeper was not used: other users can write to {0} (mode {1}). Run chmod 700 '{0}'; this command runs without the keeper.",
      dir,
      octal(dirStat.mode),
    );
  const socketStat = await lstatOrUndefined(socketPath);
  if (!socketStat) return undefined;
  if (!socketStat.isSocket())
    return l10n.t('ocm: the connection keeper was not used: {0} is not a socket. Remove it; this command runs without the keeper.', socketPath);
  if (socketStat.uid !== uid)
    return l10n.t(
      'ocm: the connection keeper was not used: the socket {0} belongs to uid {1}, not to you (uid {2}). Remove it; this command runs without the keeper.',
      socketPath,
      socketStat.uid,
      uid,
    );
  return undefined;
}

/**
 * The environment sent to the keeper: KEEPER_ENV, plus the variables the user's ssh_config
 * names as `${VAR}` (IdentityFile, IdentityAgent, UserKnownHostsFile), so those resolve as
 * without the keeper. (Only ~/.ssh/config and /etc/ssh/ssh_config are read for that, not their Includes.)
 */
export async function keeperEnvironment(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const home = env.HOME && env.HOME.trim() !== '' ? env.HOME : homedir();
  const names = new Set<string>(KEEPER_ENV);
  for (const file of [join(home, '.ssh', 'config'), '/etc/ssh/ssh_config']) {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
  }
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

async function lstatOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(path);
  } catch {
    return undefined;
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(3, '0');
}
