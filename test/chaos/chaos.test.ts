// The short form of the fault-injection suite (make test): the scenarios marked short, at small sizes.
// `make chaos` runs all of them at full size.
import { describe, it } from "node:test";

import { scenarios } from "./scenarios.ts";

describe("fault injection (short form)", () => {
  for (const scenario of scenarios.filter((s) => s.short)) {
    it(scenario.name, async (t) => {
      const result = await scenario.run(t, "short");
      t.diagnostic(
        `${result.values} values, ${result.missing} missing, ${result.duplicates} duplicates: ${result.detail}`,
      );
    });
  }
});
