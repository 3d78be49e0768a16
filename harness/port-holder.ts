// Who holds a TCP port, for an error that names the cause instead of a bare "address in use": most often a
// process an interrupted run left behind (a fault proxy, a broker), which the person reading can then stop.
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";

import { run } from "./process.ts";

/** Whether something listens on 127.0.0.1:port now (we could not bind it). */
export async function portTaken(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (!bound) return true;
  server.close();
  await once(server, "close");
  return false;
}

/** The processes in `ss -ltnpH` output, by pid and the name ss gives (a thread's); none when ss could not tell. */
export function holdersIn(ssOutput: string): { pid: number; name: string }[] {
  return [...ssOutput.matchAll(/\("([^"]*)",pid=(\d+),fd=\d+\)/g)].map(([, name = "", pid = ""]) => ({
    pid: Number(pid),
    name,
  }));
}

/** Names whoever listens on the port, best effort: "pid 123 (/path/to/toxiproxy -port …)", or "an unknown process". */
export async function describePortHolder(port: number): Promise<string> {
  const listed = await run("ss", ["-ltnpH", `sport = :${port}`], { timeoutMs: 5_000 }).catch(() => undefined);
  const pids = [...new Map(holdersIn(listed?.stdout ?? "").map((holder) => [holder.pid, holder])).values()];
  if (pids.length === 0) return "an unknown process";
  const described = await Promise.all(
    pids.map(async ({ pid, name }) => {
      // The command line says more than ss's name, which is the listening thread's ("MainThread" for node).
      const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => name);
      return `pid ${pid} (${command.replaceAll("\0", " ").trim().slice(0, 160)})`;
    }),
  );
  return described.join(", ");
}
