// Which server command the extension starts, for each combination of settings (node:test, no VS Code needed).
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { findExecutable, notFoundMessage, resolveServerCommand } from "../src/serverCommand";

const none = { command: [], pythonPath: "", env: {} };

test("an explicit command wins and keeps its arguments", () => {
  const server = resolveServerCommand({ ...none, command: ["techcat", "lsp"], pythonPath: "/usr/bin/python3" }, {});
  assert.equal(server.command, "techcat");
  assert.deepEqual(server.args, ["lsp"]);
});

test("a Python interpreter runs the CLI module", () => {
  const server = resolveServerCommand({ ...none, pythonPath: " /venv/bin/python " }, {});
  assert.equal(server.command, "/venv/bin/python");
  assert.deepEqual(server.args, ["-m", "techcat_cli.main", "lsp"]);
});

test("nothing set: techcat-lsp from PATH, with the extra environment on top", () => {
  const server = resolveServerCommand({ ...none, command: ["  "], env: { OPENAI_BASE_URL: "http://127.0.0.1:1/v1" } },
    { PATH: "/bin", OPENAI_BASE_URL: "old" });
  assert.equal(server.command, "techcat-lsp");
  assert.equal(server.env.OPENAI_BASE_URL, "http://127.0.0.1:1/v1");
  assert.equal(server.env.PATH, "/bin");
});

test("executables are found on PATH or by path, and a missing one gets a message saying what to set", () => {
  const dir = mkdtempSync(join(tmpdir(), "techcat-ext-"));
  const tool = join(dir, "techcat-lsp");
  writeFileSync(tool, "#!/bin/sh\n");
  chmodSync(tool, 0o755);
  assert.equal(findExecutable("techcat-lsp", { PATH: `/nonexistent:${dir}` }), tool);
  assert.equal(findExecutable(tool, { PATH: "" }), tool);
  assert.equal(findExecutable("techcat-lsp", { PATH: "/nonexistent" }), undefined);
  const message = notFoundMessage(resolveServerCommand(none, {}));
  assert.match(message, /`techcat-lsp` \(from PATH/);
  assert.match(message, /techcat\.server\.command/);
});
