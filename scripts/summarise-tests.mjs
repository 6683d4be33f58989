// Sums the vitest JSON results of every package into the line CI reads:
// `N passed, N failed, N skipped`. A package whose run crashed before writing results
// counts as one failure, so a broken package can never pass silently. The tree-wide checks
// (format, lint, typecheck: scripts/checks.mjs) count as one test each; missing results of
// them count as one failure.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const turboStatus = Number(process.argv[2] ?? 0);
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const group of ["packages", "apps", "tooling"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    const pkgFile = join(dir, "package.json");
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    if (!pkg.scripts?.test) continue;
    const resultFile = join(dir, ".vitest-results.json");
    if (!existsSync(resultFile)) {
      missing.push(pkg.name);
      continue;
    }
    const result = JSON.parse(readFileSync(resultFile, "utf8"));
    passed += result.numPassedTests ?? 0;
    failed += result.numFailedTests ?? 0;
    skipped += (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
    // A test file that fails to load has no failed tests but a failed suite.
    failed += (result.testResults ?? []).filter(
      (file) => file.status === "failed" && (file.assertionResults ?? []).length === 0,
    ).length;
  }
}
const checksFile = ".checks-results.json";
if (existsSync(checksFile)) {
  for (const check of JSON.parse(readFileSync(checksFile, "utf8"))) {
    if (check.passed) passed += 1;
    else {
      console.log(`check failed: ${check.name}`);
      failed += 1;
    }
  }
} else {
  missing.push("the format, lint and typecheck checks");
}
if (missing.length > 0) {
  console.log(`test results missing (the run crashed or did not start) for: ${missing.join(", ")}`);
  failed += missing.length;
}
if (turboStatus !== 0 && failed === 0) {
  console.log(
    `the test run exited with status ${turboStatus} without a failed test being recorded`,
  );
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
if (failed > 0) process.exit(1);
if (passed === 0) {
  console.log("no test ran");
  process.exit(1);
}
