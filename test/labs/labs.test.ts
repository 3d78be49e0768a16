// Every lab, in the short form a learner runs by default (make lab NAME=...), as a real process against the local
// cluster: a lab that stops showing what it claims (its verdict line) fails here.
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { labs } from "../../labs/labs.ts";
import { run } from "../../harness/process.ts";

describe("the labs (short form)", () => {
  it("make lab lists every lab", async () => {
    const { code, stdout } = await run(process.execPath, ["--import", "tsx", "labs/run.ts"]);
    assert.equal(code, 0);
    for (const lab of labs) assert.match(stdout, new RegExp(`^  ${lab.name} `, "m"));
  });

  it("an unknown lab is refused by name", async () => {
    const { code, stderr } = await run(process.execPath, ["--import", "tsx", "labs/run.ts", "no-such-lab"]);
    assert.equal(code, 2);
    assert.match(stderr, /no lab named no-such-lab; make lab lists them/);
  });

  for (const lab of labs) {
    it(`${lab.name}: says what happens, shows it live, and ends with the promised verdict`, async (t) => {
      const { code, stdout, stderr } = await run(
        process.execPath,
        ["--import", "tsx", "labs/run.ts", lab.name],
        {
          timeoutMs: 900_000,
        },
      );
      const verdictAt = stdout.indexOf("Verdict:");
      t.diagnostic(stdout.slice(verdictAt, stdout.indexOf("What happened")).trim());
      assert.equal(code, 0, `${stdout.slice(-3000)}\n${stderr.slice(-2000)}`);
      assert.ok(stdout.indexOf(lab.intro[0]!) < stdout.indexOf("Live"), "the intro comes first");
      assert.match(stdout, /Verdict: as promised/);
      assert.match(stdout, /What happened, and why/);
      // Something was shown while it ran: at least one live line from a service process.
      const live = stdout.slice(stdout.indexOf("Live"), verdictAt);
      assert.match(live, /(producer|batch-consumer|single-consumer|share-consumer)#\d+ /);
      // And the make-watch view of the running processes, drawn every few seconds.
      assert.match(
        live,
        /── watch ──\n(producer|batch-consumer|single-consumer|share-consumer) +127\.0\.0\.1:\d+ /,
      );
    });
  }
});
