// The README's worker is the example file it names, character for character below the file's header comment:
// a change to one that is not made to the other fails here (the file itself is type-checked by make lint and run
// end to end by test/e2e/json-worker.test.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { readRepoFile } from "./code-facts.ts";
import { fencedBlockAfter } from "./markdown.ts";

const EXAMPLE = "examples/json-worker/main.ts";

/** The file below its leading `//` comment lines: what the README shows. */
function withoutHeader(source: string): string {
  const lines = source.split("\n");
  const first = lines.findIndex((line) => !line.startsWith("//"));
  return lines.slice(first).join("\n");
}

describe("README.md: the worker it shows", () => {
  it(`is ${EXAMPLE}`, () => {
    const readme = readRepoFile("README.md");
    const shown = fencedBlockAfter(readme.slice(readme.indexOf("## Write a worker")), `\`${EXAMPLE}\``);
    assert.equal(shown, withoutHeader(readRepoFile(EXAMPLE)), `README.md's block and ${EXAMPLE} differ`);
  });
});
