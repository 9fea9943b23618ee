// Palette commands. The server advertises the real commands (techcat.runAgent, techcat.queueItem, ...), which
// the language client registers under those names; these palette entries only gather what a person would
// otherwise pick from a code lens or a code action, and ask the server for the choices (its code lenses and
// code actions), so the extension knows no rules of its own.
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";

/** Server command names, as techcat_lsp/commands_api.py defines them. */
export const SERVER = {
  runAgent: "techcat.runAgent",
  cancelRun: "techcat.cancelRun",
  logFromGit: "techcat.logFromGit",
} as const;

export function registerPaletteCommands(
  context: vscode.ExtensionContext,
  getClient: () => LanguageClient | undefined,
  restart: () => Promise<void>,
): void {
  const guarded = (run: () => Promise<unknown>) => async () => {
    if (getClient() === undefined) {
      void vscode.window.showWarningMessage("TechCat: the language server is not running (see its output).");
      return;
    }
    try {
      await run();
    } catch (error) {
      void vscode.window.showErrorMessage(`TechCat: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  context.subscriptions.push(
    vscode.commands.registerCommand("techcat.palette.runAgent", guarded(runAgent)),
    vscode.commands.registerCommand("techcat.palette.runProposal", guarded(runProposal)),
    vscode.commands.registerCommand("techcat.palette.queueProposal", guarded(queueProposal)),
    vscode.commands.registerCommand("techcat.palette.logFromGit", guarded(logFromGit)),
    vscode.commands.registerCommand("techcat.palette.cancelRuns", guarded(cancelRuns)),
    vscode.commands.registerCommand("techcat.restartServer", restart),
    vscode.commands.registerCommand("techcat.showOutput", () => getClient()?.outputChannel.show(true)),
  );
}

/** The `.codex/` folder to act on: the active file's, else the only one in the workspace, else the user's pick. */
async function codexFolder(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const inside = active?.scheme === "file" ? /^(.*\/\.codex)\//.exec(active.path) : null;
  if (active !== undefined && inside !== null) {
    return active.with({ path: inside[1] });
  }
  const files = await vscode.workspace.findFiles("**/.codex/{AGENTS.md,TASK-LOG.json,PROPOSED-TASKS.md}",
    "**/node_modules/**", 100);
  const folders = [...new Map(files.map((uri) => {
    const folder = uri.with({ path: path.posix.dirname(uri.path) });
    return [folder.toString(), folder] as const;
  })).values()];
  if (folders.length === 0) {
    throw new Error("there is no .codex/ folder in this workspace (run `techcat init` to create one)");
  }
  if (folders.length === 1) {
    return folders[0];
  }
  const picked = await vscode.window.showQuickPick(
    folders.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: "Which .codex/ folder?" });
  return picked?.uri;
}

interface RunSpec {
  workspace: string;
  agent: string;
  task?: string;
  proposedItem?: number;
}

/** The server's "▶ Run" code lenses in one of the workspace's files, with the line each sits on. */
async function runLenses(file: vscode.Uri): Promise<{ lens: vscode.CodeLens; line: string }[]> {
  const document = await vscode.workspace.openTextDocument(file);
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
    "vscode.executeCodeLensProvider", file) ?? [];
  return lenses
    .filter((lens) => lens.command?.command === SERVER.runAgent)
    .map((lens) => ({ lens, line: document.lineAt(lens.range.start.line).text.trim() }));
}

async function runAgent(): Promise<void> {
  const folder = await codexFolder();
  if (folder === undefined) {
    return;
  }
  const agents = (await runLenses(vscode.Uri.joinPath(folder, "AGENTS.md")))
    .map(({ lens }) => (lens.command?.arguments?.[0] as RunSpec | undefined)?.agent)
    .filter((agent): agent is string => typeof agent === "string");
  if (agents.length === 0) {
    throw new Error("AGENTS.md lists no agents");
  }
  const agent = await vscode.window.showQuickPick(agents, { placeHolder: "Run which agent?" });
  if (agent === undefined) {
    return;
  }
  const task = await vscode.window.showInputBox({
    prompt: `What should ${agent} do?`,
    placeHolder: "Leave empty to choose one of its proposals from PROPOSED-TASKS.md",
  });
  if (task === undefined) {
    return;
  }
  const spec: RunSpec = { workspace: folder.fsPath, agent };
  if (task.trim() !== "") {
    spec.task = task.trim();
  }
  await vscode.commands.executeCommand(SERVER.runAgent, spec);
}

async function runProposal(): Promise<void> {
  const folder = await codexFolder();
  if (folder === undefined) {
    return;
  }
  const runs = await runLenses(vscode.Uri.joinPath(folder, "PROPOSED-TASKS.md"));
  if (runs.length === 0) {
    throw new Error("PROPOSED-TASKS.md has no open item that names an @agent");
  }
  const picked = await vscode.window.showQuickPick(
    runs.map(({ lens, line }) => ({ label: line.replace(/^[-*]\s*\[.\]\s*/, ""), description: lens.command?.title, lens })),
    { placeHolder: "Run which proposed task?" });
  if (picked?.lens.command !== undefined) {
    await vscode.commands.executeCommand(picked.lens.command.command, ...(picked.lens.command.arguments ?? []));
  }
}

async function queueProposal(): Promise<void> {
  const folder = await codexFolder();
  if (folder === undefined) {
    return;
  }
  const file = vscode.Uri.joinPath(folder, "PROPOSED-TASKS.md");
  const document = await vscode.workspace.openTextDocument(file);
  const candidates: { label: string; edit: vscode.WorkspaceEdit }[] = [];
  // The server offers "Queue" on each proposed (not yet queued) item; ask it line by line.
  for (let line = 0; line < Math.min(document.lineCount, 2000); line++) {
    const text = document.lineAt(line).text;
    if (!/^\s*[-*]\s*\[/.test(text)) {
      continue;
    }
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider", file, new vscode.Range(line, 0, line, 0)) ?? [];
    const queue = actions.find((action) => action.title === "Queue" && action.edit !== undefined);
    if (queue?.edit !== undefined) {
      candidates.push({ label: text.trim().replace(/^[-*]\s*\[.\]\s*/, ""), edit: queue.edit });
    }
  }
  if (candidates.length === 0) {
    throw new Error("PROPOSED-TASKS.md has no proposed item left to queue");
  }
  const picked = await vscode.window.showQuickPick(candidates, { placeHolder: "Queue which proposed task?" });
  if (picked !== undefined && await vscode.workspace.applyEdit(picked.edit)) {
    await vscode.window.showTextDocument(document); // the change is unsaved: show it where it can be saved
  }
}

async function logFromGit(): Promise<void> {
  const folder = await codexFolder();
  if (folder === undefined) {
    return;
  }
  const summary = await vscode.window.showInputBox({
    prompt: "Summary of the task (one line)",
    placeHolder: "Leave empty for a summary listing the changed files",
  });
  if (summary === undefined) {
    return;
  }
  const spec: { workspace: string; summary?: string } = { workspace: folder.fsPath };
  if (summary.trim() !== "") {
    spec.summary = summary.trim();
  }
  await vscode.commands.executeCommand(SERVER.logFromGit, spec);
}

async function cancelRuns(): Promise<void> {
  await vscode.commands.executeCommand(SERVER.cancelRun, {});
}
