// One broker taken down mid-scenario and brought back, as the broker-fault scenarios (1, 17, 20, 21) do it: the
// broker picked (the group's coordinator, found here), taken down, left down until the scenario's own sign that
// the pipeline goes on without it, started again; and the cluster whole again however the scenario ends.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";

import { withAdmin } from "../admin.ts";
import { cluster, identity, type AfterHook } from "../kafka.ts";

/**
 * The broker that coordinates `group`. Asked while the group is stable, by an admin client closed before this
 * returns: no client of the scenario's own is left talking to the group when its coordinator is faulted.
 */
export async function groupCoordinator(group: string): Promise<number> {
  const coordinator = await withAdmin(
    identity,
    async (admin) => (await admin.describeGroup(group))?.coordinator.id,
  );
  assert.ok(coordinator !== undefined && coordinator >= 1, `group ${group} has a coordinator`);
  return coordinator;
}

export interface BrokerOutage {
  /** The node taken down, once it has been. */
  readonly node: number | undefined;
  /**
   * Takes `node` down (`kill`: SIGKILL, `stop`: SIGTERM), waits for `progress` (the scenario's sign that the
   * pipeline goes on without it), starts it again; resolves to the seconds it was down.
   */
  downWhile(node: number, fault: "kill" | "stop", progress: () => Promise<unknown>): Promise<number>;
  /** The cluster whole again, every partition's replicas in sync, or the scenario fails. */
  restored(): Promise<void>;
}

/** Made before the scenario's pipeline, so that the broker is started again before its topics are deleted. */
export function brokerOutage(t: AfterHook): BrokerOutage {
  let down: number | undefined;
  // However the scenario ends (a failed assertion while the broker is down included), the next one gets the
  // whole cluster.
  t.after(async () => {
    if (down !== undefined) await cluster("start", String(down)).catch(() => undefined);
    await cluster("wait-balanced", "120").catch(() => undefined);
  });
  return {
    get node() {
      return down;
    },
    async downWhile(node, fault, progress) {
      down = node;
      const downAt = performance.now();
      await cluster(fault, String(node));
      await progress();
      const downFor = (performance.now() - downAt) / 1000;
      await cluster("start", String(node));
      return downFor;
    },
    async restored() {
      await cluster("wait-isr", "120");
    },
  };
}
