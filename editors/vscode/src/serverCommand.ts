// Which process to start as the TechCat language server. Kept free of the vscode API so the rules read at once:
// an explicit command wins, then a Python interpreter with TechCat installed, then `techcat-lsp` from PATH.
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export interface ServerSettings {
  command: readonly string[];
  pythonPath: string;
  env: Readonly<Record<string, string>>;
}

export interface ServerCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Where the command came from, for the message shown when it cannot be started. */
  origin: string;
}

export function resolveServerCommand(settings: ServerSettings, baseEnv: NodeJS.ProcessEnv): ServerCommand {
  const env = { ...baseEnv, ...settings.env };
  const [command, ...args] = settings.command.filter((part) => part.trim() !== "");
  if (command !== undefined) {
    return { command, args, env, origin: "the setting techcat.server.command" };
  }
  if (settings.pythonPath.trim() !== "") {
    return {
      command: settings.pythonPath.trim(),
      args: ["-m", "techcat_cli.main", "lsp"],
      env,
      origin: "the setting techcat.server.pythonPath",
    };
  }
  return { command: "techcat-lsp", args: [], env, origin: "PATH (no server setting is set)" };
}

/** The executable a command names, looked up on PATH like a shell would; undefined when there is none. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const candidates = isAbsolute(command) || command.includes("/")
    ? [command]
    : (env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return undefined;
}

export function notFoundMessage(server: ServerCommand): string {
  return (
    `TechCat: cannot start the language server: \`${server.command}\` (from ${server.origin}) was not found. ` +
    "Install TechCat Studio from its repository (`pipx install .` in a checkout) or set techcat.server.command " +
    "(e.g. [\"/path/to/.venv/bin/techcat-lsp\"]) or techcat.server.pythonPath."
  );
}
