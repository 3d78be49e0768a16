// The Dockerfile and .dockerignore, checked without a Docker engine: what each target runs, as whom, with which
// init, what the build stage installs, and what the build context holds (computed with docker-py, the library
// docker-compose v1 builds with).
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";

import { APP_SERVICES, dockerHealthcheck, dockerfileInstructions, repoPath, run } from "./helpers.ts";

const instructions = dockerfileInstructions();
const inStage = (stage: string) => instructions.filter((i) => i.stage === stage);
const stageOf = (target: string): string => {
  const from = instructions.find((i) => i.keyword === "FROM" && i.stage === target)?.args ?? "";
  return from.split(" ")[0] ?? "";
};

/** Every workspace folder (libs/*, services/*) that has a package.json. */
function workspaces(): string[] {
  const root = JSON.parse(readFileSync(repoPath("package.json"), "utf8")) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) => {
    const parent = pattern.replace(/\/\*$/, "");
    return readdirSync(repoPath(parent), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && readdirSync(repoPath(parent, entry.name)).includes("package.json"),
      )
      .map((entry) => `${parent}/${entry.name}`);
  });
}

describe("Dockerfile", () => {
  it("has one target per service, running the service's own start command in its folder", () => {
    for (const service of APP_SERVICES) {
      const stage = inStage(service);
      assert.ok(stage.length > 0, `stage ${service}`);
      assert.equal(stageOf(service), "runtime", `${service} builds on the runtime stage`);
      assert.equal(stage.find((i) => i.keyword === "WORKDIR")?.args, `/app/services/${service}`);
      const cmd = JSON.parse(stage.find((i) => i.keyword === "CMD")?.args ?? "[]") as string[];
      const pkg = JSON.parse(readFileSync(repoPath("services", service, "package.json"), "utf8")) as {
        scripts: { start: string };
      };
      // The image runs exactly what `npm start` would, without npm (which does not pass SIGTERM on).
      assert.equal(cmd.join(" "), pkg.scripts.start);
      assert.notEqual(cmd[0], "npm");
    }
  });

  it("runs as a non-root user under tini, with a curl-less HEALTHCHECK on /healthz", () => {
    const runtime = inStage("runtime");
    assert.match(stageOf("runtime"), /^\$\{NODE_IMAGE\}$/);
    assert.match(
      instructions[0]?.keyword === "ARG" ? instructions[0].args : "",
      /^NODE_IMAGE=node:24-bookworm-slim$/,
    );
    const user = runtime.filter((i) => i.keyword === "USER").at(-1)?.args;
    assert.ok(user && user !== "root" && user !== "0", `USER ${user}`);
    assert.deepEqual(JSON.parse(runtime.find((i) => i.keyword === "ENTRYPOINT")?.args ?? "[]"), [
      "/usr/bin/tini",
      "--",
    ]);
    assert.match(runtime.find((i) => i.keyword === "RUN")?.args ?? "", /apt-get install .*\btini\b/);
    const healthcheck = dockerHealthcheck();
    assert.equal(healthcheck[0], "node");
    assert.match(healthcheck.join(" "), /fetch\(.*\/healthz/);
    assert.ok(!healthcheck.join(" ").includes("curl"));
  });

  it("builds librdkafka from source, dynamically linked, and the runtime stage has the libraries it links", () => {
    const build = inStage("build");
    const env = build
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args)
      .join(" ");
    assert.match(env, /\bCKJS_LINKING=dynamic\b/);
    assert.match(env, /\bnpm_config_build_from_source=true\b/);
    const buildRun = build.find((i) => i.keyword === "RUN")?.args ?? "";
    for (const pkg of [
      "build-essential",
      "python3",
      "libssl-dev",
      "libsasl2-dev",
      "zlib1g-dev",
      "libzstd-dev",
      "liblz4-dev",
      "libcurl4-openssl-dev",
    ]) {
      assert.match(buildRun, new RegExp(`\\s${pkg}(\\s|$)`), `build stage installs ${pkg}`);
    }
    const runtimeRun = inStage("runtime").find((i) => i.keyword === "RUN")?.args ?? "";
    for (const pkg of ["libssl3", "libsasl2-2", "zlib1g", "libzstd1", "liblz4-1", "libcurl4"]) {
      assert.match(runtimeRun, new RegExp(`\\s${pkg}(\\s|$)`), `runtime stage installs ${pkg}`);
    }
    assert.ok(!/-dev\b|build-essential/.test(runtimeRun), "no compilers or headers at runtime");
    assert.match(
      build.find((i) => i.keyword === "RUN" && i.args.includes("npm ci"))?.args ?? "",
      /npm ci --omit=dev/,
    );
  });

  it("builds the Kafka client's addon once, from sources patched by deploy/binding, and checks it", () => {
    const build = inStage("build");
    const npmCi = build.findIndex((i) => i.keyword === "RUN" && i.args.includes("npm ci"));
    const install = build[npmCi]?.args ?? "";
    const steps = install.split("&&").map((step) => step.trim());
    const at = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step));
    // Scripts held back until the patch is applied, then run by npm rebuild, then the addon checked.
    assert.match(steps[0] ?? "", /^npm ci\b.*--ignore-scripts\b/);
    assert.ok(at(/^bash deploy\/binding\/apply\.sh$/) > 0, install);
    assert.ok(at(/^npm rebuild\b/) > at(/^bash deploy\/binding\/apply\.sh$/), install);
    assert.ok(at(/^node deploy\/binding\/check\.js$/) > at(/^npm rebuild\b/), install);
    const copied = build
      .slice(0, npmCi)
      .filter((i) => i.keyword === "COPY")
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const patches = readdirSync(repoPath("deploy/binding")).filter((name) => name.endsWith(".patch"));
    assert.ok(patches.length > 0);
    for (const file of ["apply.sh", "check.js", ...patches]) {
      assert.ok(copied.includes(`deploy/binding/${file}`), `COPY deploy/binding/${file} before npm ci`);
    }
  });

  it("copies every workspace's package.json before npm ci, so that the install layer is complete", () => {
    const build = inStage("build");
    const npmCi = build.findIndex((i) => i.keyword === "RUN" && i.args.includes("npm ci"));
    const copied = build
      .slice(0, npmCi)
      .filter((i) => i.keyword === "COPY")
      .flatMap((i) => i.args.split(" ").slice(0, -1));
    assert.ok(copied.includes("package-lock.json"));
    for (const workspace of workspaces()) assert.ok(copied.includes(`${workspace}/package.json`), workspace);
    assert.ok(workspaces().length >= 9, "the workspace list was found");
  });
});

describe(".dockerignore", () => {
  it("sends the sources that run and nothing else", async () => {
    // docker-py's exclude_paths is what docker-compose v1 uses to build the context it sends.
    const script = [
      "from docker.utils.build import exclude_paths",
      "patterns = [l.strip() for l in open('.dockerignore') if l.strip() and not l.startswith('#')]",
      "print('\\n'.join(sorted(exclude_paths('.', patterns))))",
    ].join("\n");
    const result = await run("python3", ["-c", script]);
    assert.equal(result.code, 0, result.stderr);
    const context = new Set(result.stdout.split("\n").filter((line) => line !== ""));

    for (const file of ["package.json", "package-lock.json", "tsconfig.json"])
      assert.ok(context.has(file), file);
    for (const workspace of workspaces()) assert.ok(context.has(`${workspace}/package.json`), workspace);
    for (const service of APP_SERVICES) assert.ok(context.has(`services/${service}/src/main.ts`), service);
    assert.ok(context.has("libs/service/src/index.ts"));

    // Of deploy/, only what patches the Kafka client's binding before it is built (its README and bench stay out).
    const binding = [
      "deploy/binding/apply.sh",
      "deploy/binding/check.js",
      ...readdirSync(repoPath("deploy/binding"))
        .filter((name) => name.endsWith(".patch"))
        .map((name) => `deploy/binding/${name}`),
    ];
    const unwanted = [...context].filter(
      (path) =>
        !binding.includes(path) &&
        /(^|\/)(node_modules|test|\.run|\.tools|\.git|deploy|bench)(\/|$)|\.test\.ts$|^docker-compose\.yml$/.test(
          path,
        ),
    );
    assert.deepEqual(unwanted, []);
    // Outside the workspace sources and the three manifests, only the two files Docker always reads itself and
    // the binding's patch.
    const other = [...context].filter(
      (path) =>
        !/^(libs|services)(\/|$)/.test(path) &&
        !["package.json", "package-lock.json", "tsconfig.json"].includes(path),
    );
    assert.deepEqual(other.sort(), [".dockerignore", "Dockerfile", ...binding].sort());
  });
});
