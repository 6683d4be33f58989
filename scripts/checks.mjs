// The tree-wide checks CI runs beside the tests: the format check (Prettier), the lint (ESLint)
// and the typecheck (`tsc` over every package, tests and apps included, through turbo). Each runs
// even when another failed; a failing check prints its output. The outcome goes to
// `.checks-results.json` (read by scripts/summarise-tests.mjs, where a failed check counts as a
// failed test) and the exit status is non-zero when any check failed.
//
//   node scripts/checks.mjs [format|lint|typecheck ...]   (all three when none is named)
import { spawnSync } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

/** Every check: the command and the line that tells a person how to fix a failure. */
const CHECKS = {
  format: {
    command: [bin("prettier"), "--check", "--log-level=warn", "."],
    fix: "run `pnpm format` to rewrite the files listed above",
  },
  lint: {
    command: [bin("eslint"), "--max-warnings=0", "."],
    fix: "fix the problems listed above (`pnpm lint` runs the same check)",
  },
  typecheck: {
    command: [
      bin("turbo"),
      "run",
      "typecheck",
      "--concurrency=2",
      "--output-logs=errors-only",
      "--log-prefix=task",
    ],
    fix: "fix the type errors listed above (`pnpm typecheck` runs the same check)",
  },
};

const RESULTS_FILE = ".checks-results.json";

const asked = process.argv.slice(2);
for (const name of asked) {
  if (!(name in CHECKS)) {
    console.error(`unknown check '${name}'; the checks are: ${Object.keys(CHECKS).join(", ")}`);
    process.exit(2);
  }
}
const names = asked.length > 0 ? asked : Object.keys(CHECKS);

const results = [];
for (const name of names) {
  const { command, fix } = CHECKS[name];
  const started = performance.now();
  const run = spawnSync(command[0], command.slice(1), {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
  const seconds = (performance.now() - started) / 1000;
  const passed = run.status === 0;
  results.push({ name, passed, seconds: Number(seconds.toFixed(1)) });
  if (passed) {
    console.log(`check ${name}: passed (${seconds.toFixed(1)} s)`);
  } else {
    const why = run.error ? `could not start: ${run.error.message}` : `exit status ${run.status}`;
    process.stdout.write(run.stdout ?? "");
    process.stdout.write(run.stderr ?? "");
    console.log(`check ${name}: FAILED (${why}, ${seconds.toFixed(1)} s); ${fix}`);
  }
}

// Written whole and renamed, so the summary never reads half a file.
const file = join(root, RESULTS_FILE);
writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
renameSync(`${file}.tmp`, file);
process.exit(results.every((r) => r.passed) ? 0 : 1);
