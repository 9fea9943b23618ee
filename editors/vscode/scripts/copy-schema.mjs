// Copy the task log's JSON Schema into the extension, so the package carries it (contributes.jsonValidation).
// The schema is exported by the core to schemas/task-log.schema.json; when that file is missing (a fresh
// checkout before it is generated) ask the CLI for it: `techcat schema` prints the same text.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extension = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = join(extension, "..", "..");
const exported = join(repo, "schemas", "task-log.schema.json");
const target = join(extension, "schemas", "task-log.schema.json");

function fromCli() {
  const local = join(repo, ".venv", "bin", "techcat");
  const command = existsSync(local) ? local : "techcat";
  try {
    return execFileSync(command, ["schema"], { encoding: "utf-8" });
  } catch (error) {
    console.error(`copy-schema: ${exported} is missing and \`${command} schema\` failed: ${error.message}`);
    process.exit(1);
  }
}

const text = existsSync(exported) ? readFileSync(exported, "utf-8") : fromCli();
JSON.parse(text); // refuse to package a broken schema
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, text);
