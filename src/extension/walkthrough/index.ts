import type * as vscode from 'vscode';
import type { CommandDeps } from '../commands/deps';
import { registerCheckConnection } from './check-connection';
import { registerOpenSoul } from './open-soul';

/** The commands the "Get started" walkthrough's steps run (they are ordinary commands too). */
export function registerWalkthroughCommands(context: vscode.ExtensionContext, deps: CommandDeps): void {
  registerCheckConnection(context, deps);
  registerOpenSoul(context, deps);
}
