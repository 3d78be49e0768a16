// The short form of the fault-injection suite (make test): the scenarios marked short, at small sizes.
// `make chaos` runs all of them at full size.
import { describe, it } from "node:test";

import { scenarios } from "../../harness/chaos/scenarios.ts";
import { labs } from "../../labs/labs.ts";

// The scenarios a lab runs are asserted through the lab (test/labs), not twice.
const ranByLabs = new Set(labs.flatMap((lab) => lab.scenarios));

describe("fault injection (short form)", () => {
  for (const scenario of scenarios.filter((s) => s.short && !ranByLabs.has(s))) {
    it(scenario.name, async (t) => {
      const result = await scenario.run(t, "short");
      t.diagnostic(
        `${result.values} values, ${result.missing} missing, ${result.duplicates} duplicates: ${result.detail}`,
      );
    });
  }
});
