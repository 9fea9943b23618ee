// TechCat Studio for VS Code: starts the TechCat language server for the .codex/ files and adds the palette
// commands. Diagnostics, quick fixes, hovers, completion, navigation and the agent-run code actions all come
// from the server; this file only starts it, restarts it when its settings change and routes the commands.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from "vscode-languageclient/node";

import { registerPaletteCommands } from "./commands";
import { showProgressAsNotifications } from "./progress";
import { findExecutable, notFoundMessage, resolveServerCommand, ServerSettings } from "./serverCommand";

const CLIENT_ID = "techcat";
const CLIENT_NAME = "TechCat Studio";

/** The .codex/ files the server understands; other JSON and Markdown files are left to other extensions. */
const DOCUMENT_SELECTOR = [
  { scheme: "file", pattern: "**/.codex/**/*.json" },
  { scheme: "file", pattern: "**/.codex/**/*.md" },
];

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
let progress: vscode.Disposable | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel(CLIENT_NAME);
  context.subscriptions.push(output);
  registerPaletteCommands(context, () => client, restart);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("techcat.server")) {
        void restart();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart()),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function readSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration("techcat.server");
  // In an untrusted workspace only the user's own settings may choose what to execute.
  const read = <T>(key: string, fallback: T): T => {
    if (vscode.workspace.isTrusted) {
      return config.get<T>(key, fallback);
    }
    const inspected = config.inspect<T>(key);
    return inspected?.globalValue ?? fallback;
  };
  return {
    command: read<string[]>("command", []),
    pythonPath: read<string>("pythonPath", ""),
    env: read<Record<string, string>>("env", {}),
  };
}

async function start(): Promise<void> {
  const server = resolveServerCommand(readSettings(), process.env);
  if (findExecutable(server.command, server.env) === undefined) {
    const message = notFoundMessage(server);
    output?.appendLine(message);
    const choice = await vscode.window.showErrorMessage(message, "Open Settings");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "techcat.server");
    }
    return;
  }
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
    options: { env: server.env, cwd },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    traceOutputChannel: output,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/.codex/**"),
    },
    middleware: {
      window: {
        // The server opens an entry's files one after another ("3 files"): as pinned editors, not in the one
        // preview tab each would replace.
        showDocument: async (params) => {
          try {
            if (params.external === true) {
              return { success: await vscode.env.openExternal(vscode.Uri.parse(params.uri)) };
            }
            await vscode.window.showTextDocument(vscode.Uri.parse(params.uri), {
              preview: false,
              preserveFocus: params.takeFocus !== true,
              selection: params.selection === undefined ? undefined : new vscode.Range(
                params.selection.start.line, params.selection.start.character,
                params.selection.end.line, params.selection.end.character),
            });
            return { success: true };
          } catch {
            return { success: false };
          }
        },
      },
    },
  };
  client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  output?.appendLine(`Starting ${[server.command, ...server.args].join(" ")} (from ${server.origin})`);
  try {
    await client.start();
    progress = showProgressAsNotifications(client);
  } catch (error) {
    const message = `TechCat: the language server failed to start: ${String(error)}`;
    output?.appendLine(message);
    void vscode.window.showErrorMessage(message);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  progress?.dispose();
  progress = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch (error) {
      output?.appendLine(`Stopping the server: ${String(error)}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
