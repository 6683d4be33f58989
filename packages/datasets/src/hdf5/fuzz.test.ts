/**
 * Seeded, bounded fuzzing of the HDF5 reader: bytes of the real test files are changed with a
 * seeded generator, and every damaged file must either read (all samples validated) or fail
 * with a DatasetError, within a time limit, without printing anything (no "Aborted(...)") and
 * without crashing the process.
 *
 * A few seconds by default; SNN_FUZZ_ITERATIONS=2000 (and SNN_FUZZ_SEED=n) for a longer run.
 * Every hang or abort a run finds is printed with its mutation; keep it in REGRESSIONS below.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DatasetError, DatasetFormatError } from "../errors";
import { SeededRandom } from "../random";
import { computeDatasetStatistics } from "../statistics";
import { openShd } from "./spiking-audio";

const dataDir = fileURLToPath(new URL("../../test-data/", import.meta.url));
const SOURCES = [
  "shd-float32.h5",
  "shd-float16.h5",
  "shd-float64-big-endian.h5",
  "shd-libver-latest.h5",
] as const;
const originals = new Map(SOURCES.map((name) => [name, readFileSync(join(dataDir, name))]));
const work = mkdtempSync(join(tmpdir(), "snn-hdf5-fuzz-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Time limit of one HDF5 call in these tests (real calls on these 12 kB files take milliseconds). */
const CALL_LIMIT_MS = 1500;
/** Time limit of one whole case: a dozen calls, and loading h5wasm into a fresh worker after a time-out. */
const CASE_LIMIT_MS = 30_000;

/** One damaged file: `source` with the byte at each offset set to its value. */
interface Mutation {
  readonly source: (typeof SOURCES)[number];
  readonly bytes: readonly (readonly [offset: number, value: number])[];
}

/** Damaged files that once hung or aborted h5wasm (found by hand or by this fuzzer). */
const REGRESSIONS: readonly { readonly name: string; readonly mutation: Mutation }[] = [
  // Issue 18: a zeroed heap-object index of an /extra/keys string made HDF5 loop forever.
  {
    name: "zeroed /extra/keys heap index at 4296 (hang)",
    mutation: { source: "shd-float32.h5", bytes: [[4296, 0]] },
  },
  {
    name: "zeroed byte at 4344 (hang)",
    mutation: { source: "shd-float32.h5", bytes: [[4344, 0]] },
  },
  {
    name: "zeroed byte at 4368 (hang)",
    mutation: { source: "shd-float32.h5", bytes: [[4368, 0]] },
  },
  // Found by this fuzzer (seed 18): h5wasm called abort(), which printed "Aborted(...)" and
  // left its module unusable; the worker is now ended and the file refused.
  {
    name: "fuzz seed 18: abort in a float64 big-endian file",
    mutation: {
      source: "shd-float64-big-endian.h5",
      bytes: [
        [1378, 199],
        [5809, 2],
      ],
    },
  },
  {
    name: "fuzz seed 18: abort in a float64 big-endian file (2)",
    mutation: {
      source: "shd-float64-big-endian.h5",
      bytes: [
        [9006, 4],
        [2569, 196],
      ],
    },
  },
  {
    name: "fuzz seed 18: abort in a float32 file",
    mutation: {
      source: "shd-float32.h5",
      bytes: [
        [4393, 16],
        [10562, 88],
        [8938, 128],
      ],
    },
  },
];

let counter = 0;
function writeMutation(mutation: Mutation): string {
  const bytes = Buffer.from(originals.get(mutation.source)!);
  for (const [offset, value] of mutation.bytes) bytes[offset] = value;
  const file = join(work, `case-${counter++}.h5`);
  writeFileSync(file, bytes);
  return file;
}

type Outcome = "read" | "refused" | "timed out" | "aborted";

/** Opens and reads every sample of a damaged file; throws unless the outcome is acceptable. */
async function exercise(mutation: Mutation): Promise<Outcome> {
  const file = writeMutation(mutation);
  const started = Date.now();
  let outcome: Outcome;
  try {
    const dataset = await openShd(file, { timeoutMs: CALL_LIMIT_MS });
    try {
      const statistics = await computeDatasetStatistics(dataset);
      expect(statistics.numSamples).toBe(dataset.numSamples);
      outcome = "read";
    } finally {
      await dataset.close();
    }
  } catch (error) {
    if (!(error instanceof DatasetError)) {
      throw new Error(
        `${JSON.stringify(mutation)} failed with ${String(error)} instead of a DatasetError`,
        { cause: error },
      );
    }
    expect(error.message.length).toBeGreaterThan(0);
    outcome = /did not .* within/.test(error.message)
      ? "timed out"
      : /stopped/.test(error.message)
        ? "aborted"
        : "refused";
  }
  // Open, labels, keys, speakers, and a few sample reads: each call is bounded by CALL_LIMIT_MS;
  // after a time-out the next file also waits for a fresh worker to load h5wasm (slow on a busy machine).
  const elapsed = Date.now() - started;
  if (elapsed > CASE_LIMIT_MS)
    throw new Error(
      `${JSON.stringify(mutation)} took ${elapsed} ms (${outcome}), more than ${CASE_LIMIT_MS} ms`,
    );
  if (elapsed > 3 * CALL_LIMIT_MS)
    process.stdout.write(
      `fuzz: slow case (${elapsed} ms, ${outcome}): ${JSON.stringify(mutation)}\n`,
    );
  return outcome;
}

/** Collects what is written to the process's stdout/stderr while `fn` runs. */
async function captureOutput<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  let output = "";
  const capture = (chunk: unknown): boolean => {
    output += String(chunk);
    return true;
  };
  const err = vi
    .spyOn(process.stderr, "write")
    .mockImplementation(capture as typeof process.stderr.write);
  const out = vi
    .spyOn(process.stdout, "write")
    .mockImplementation(capture as typeof process.stdout.write);
  try {
    return { value: await fn(), output };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe("HDF5 regression cases (damaged files that hung or aborted)", () => {
  for (const { name, mutation } of REGRESSIONS) {
    it(name, async () => {
      const { value, output } = await captureOutput(() => exercise(mutation));
      expect(value).not.toBe("read");
      expect(output).not.toMatch(/Aborted|HDF5-DIAG/);
    });
  }

  it("the issue-18 hang file fails with a clear 'damaged' error within seconds", async () => {
    const file = writeMutation(REGRESSIONS[0]!.mutation);
    const started = Date.now();
    const error = await openShd(file, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetFormatError);
    expect((error as Error).message).toMatch(/damaged.*download it again/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The reader is usable afterwards: an intact file still opens.
    const intact = await openShd(join(dataDir, "shd-float32.h5"));
    expect(intact.classNames).toEqual(["zero", "one", "two", "three"]);
    await intact.close();
  });
});

describe("HDF5 fuzzing (seeded)", () => {
  const iterations = Number(process.env["SNN_FUZZ_ITERATIONS"] ?? 30);
  const seed = Number(process.env["SNN_FUZZ_SEED"] ?? 18);

  it(
    `${iterations} damaged files (seed ${seed}) each read or refused cleanly`,
    { timeout: 60_000 + iterations * 8000 },
    async () => {
      const random = new SeededRandom(seed);
      const tally: Record<Outcome, number> = { read: 0, refused: 0, "timed out": 0, aborted: 0 };
      const { output } = await captureOutput(async () => {
        for (let i = 0; i < iterations; i++) {
          const source = SOURCES[random.nextInt(SOURCES.length)]!;
          const size = originals.get(source)!.length;
          const changes = 1 + random.nextInt(3);
          const bytes: [number, number][] = [];
          for (let c = 0; c < changes; c++) {
            const offset = random.nextInt(size);
            const kind = random.nextInt(3);
            const old = originals.get(source)![offset]!;
            bytes.push([
              offset,
              kind === 0 ? 0 : kind === 1 ? old ^ (1 << random.nextInt(8)) : random.nextInt(256),
            ]);
          }
          const mutation: Mutation = { source, bytes };
          const outcome = await exercise(mutation);
          tally[outcome]++;
          // Shown so that a new hang can be added to REGRESSIONS.
          if (outcome === "timed out" || outcome === "aborted") {
            process.stdout.write(
              `fuzz: ${outcome === "aborted" ? "abort" : "hang"} found, keep as a regression: ${JSON.stringify(mutation)}\n`,
            );
          }
        }
      });
      // Print what was captured except the lines meant for the developer; nothing else may appear.
      const unexpected = output
        .split("\n")
        .filter((line) => line.length > 0 && !line.startsWith("fuzz: "));
      for (const line of output.split("\n").filter((l) => l.startsWith("fuzz: ")))
        console.info(line);
      expect(unexpected).toEqual([]);
      expect(tally.read + tally.refused + tally["timed out"] + tally.aborted).toBe(iterations);
    },
  );
});
