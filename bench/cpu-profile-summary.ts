// Where a service's main thread spends its time, from a V8 CPU profile (`node --cpu-prof`): self time by
// owner (kafka-fleet's code, the binding's JavaScript, other packages, Node itself, native time outside any
// JavaScript frame, garbage collection) and the functions that cost most. Idle time is left out.
//
//   node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top N]
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Who a frame belongs to. "(program)" is native code running outside any JavaScript frame. */
function ownerOf({ functionName, url }: ProfileNode["callFrame"]): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "garbage collection";
    if (functionName === "(program)") return "native, outside JavaScript (program)";
    if (functionName === "(idle)") return "idle";
    return "native, outside JavaScript (program)";
  }
  if (url.includes("/node_modules/@confluentinc/kafka-javascript/")) return "the binding's JavaScript";
  if (url.includes("/node_modules/")) return "other packages (prom-client, pino, tsx)";
  if (url.startsWith("node:")) return "Node.js internals";
  return "kafka-fleet (libs, services)";
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write("usage: cpu-profile-summary.ts <file.cpuprofile> [top N]\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const owner = ownerOf(frame);
    if (owner === "idle") continue;
    busyUs += us;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    const where =
      frame.url === ""
        ? ""
        : ` ${frame.url.replace(/^.*\/(node_modules|libs|services)\//, "$1/")}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }

  const share = (us: number) => `${((100 * us) / busyUs).toFixed(1).padStart(5)} %`;
  const lines = [`main thread busy ${(busyUs / 1e6).toFixed(2)} s (idle left out)`, "", "by owner:"];
  for (const [owner, us] of [...byOwner].sort((a, b) => b[1] - a[1])) lines.push(`  ${share(us)}  ${owner}`);
  lines.push("", "top functions (self time):");
  const top = Number(topArg ?? 15);
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${share(us)}  ${name}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main();
