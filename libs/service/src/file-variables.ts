// <NAME>_FILE: a variable's value read from a file, as Docker and Kubernetes secrets are mounted, so that a
// password need not sit in the environment (where `ps e`, `docker inspect` and crash reports can show it).
import { readFileSync } from "node:fs";

import { ConfigError, messageOf } from "./errors.ts";

export const FILE_SUFFIX = "_FILE";

/**
 * `source` with each <NAME>_FILE that `accepts(NAME)` replaced by NAME = the file's content, less one final line
 * break (files written by editors and `echo` end with one; a password does not). The file's path is in the error
 * messages, never its content. Refused, each naming the variable: NAME and NAME_FILE both set (which one was
 * meant?), a file that cannot be read, an empty file. Other variables pass through untouched.
 */
export function readFileVariables(
  source: NodeJS.ProcessEnv,
  accepts: (name: string) => boolean,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...source };
  const problems: string[] = [];
  for (const [fileVariable, path] of Object.entries(source)) {
    if (!fileVariable.endsWith(FILE_SUFFIX) || path === undefined || path.trim() === "") continue;
    const name = fileVariable.slice(0, -FILE_SUFFIX.length);
    if (name === "" || !accepts(name)) continue;
    delete resolved[fileVariable];
    if ((source[name] ?? "").trim() !== "") {
      problems.push(
        `${name} and ${fileVariable} are both set: keep one (${fileVariable} is the path of a file holding ${name})`,
      );
      continue;
    }
    let content: string;
    try {
      content = readFile(path.trim());
    } catch (error) {
      problems.push(
        `${fileVariable}=${JSON.stringify(path)}: cannot read the file (${messageOf(error)}): give the path of a readable file holding ${name}`,
      );
      continue;
    }
    const value = content.replace(/\r?\n$/, "");
    if (value.trim() === "") {
      problems.push(
        `${fileVariable}=${JSON.stringify(path)}: the file is empty: it must hold ${name}'s value`,
      );
      continue;
    }
    resolved[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return resolved;
}
