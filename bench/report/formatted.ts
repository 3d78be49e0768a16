import { writeFile } from "node:fs/promises";
import { join } from "node:path";

import { format, resolveConfig } from "prettier";

import { REPO_ROOT } from "../lib/clients.ts";

/**
 * Writes a report file formatted with the repository's prettier settings, so that `make lint` (prettier --check)
 * accepts what a bench run leaves in docs/.
 */
export async function writeFormatted(path: string, text: string, parser: "json" | "markdown"): Promise<void> {
  const style = (await resolveConfig(join(REPO_ROOT, "package.json"))) ?? {};
  await writeFile(path, await format(text, { ...style, parser }));
}
