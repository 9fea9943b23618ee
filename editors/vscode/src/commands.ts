// Palette commands. The work is done by commands the server advertises (workspace/executeCommand); these only
// gather the arguments a person would otherwise pick from a code action.
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";

export function registerPaletteCommands(
  context: vscode.ExtensionContext,
  getClient: () => LanguageClient | undefined,
  restart: () => Promise<void>,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand("techcat.restartServer", restart),
    vscode.commands.registerCommand("techcat.showOutput", () => getClient()?.outputChannel.show(true)),
  );
}
