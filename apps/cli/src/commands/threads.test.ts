/**
 * `snn evaluate --threads N` and `snn infer --threads N` (in this process, on a real run): the
 * same results in 1 and 2 threads, and a bad value is a usage error.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { cpuBackend } from "@snn/backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../errors";
import { inferenceThreads, requestedThreads } from "../inference-threads";
import type { CliIO } from "../io";
import { main } from "../main";

let dir: string;
const RUN = "tiny";

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const state: CliIO & { out: string; err: string } = {
    out: "",
    err: "",
    stdout: { write: (t: string) => ((state.out += t), true) },
    stderr: { write: (t: string) => ((state.err += t), true) },
    env: {},
    cwd: dir,
    onInterrupt: () => () => {},
    exit: () => {},
  };
  const code = await main([...args], state);
  return { code, out: state.out, err: state.err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "snn-cli-threads-"));
  const trained = await cli([
    "train",
    "--dataset",
    "latency-mnist",
    "--hidden",
    "8",
    "--epochs",
    "1",
    "--train-samples",
    "16",
    "--test-samples",
    "10",
    "--batch-size",
    "8",
    "--out",
    RUN,
    "-q",
  ]);
  expect(trained.code, trained.err).toBe(0);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--threads of snn evaluate and snn infer", () => {
  it("evaluate: the same accuracy, loss and confusion matrix in 1 and 2 threads", async () => {
    // batches of 3: 3, 3, 3 and 1 (a last batch smaller than the others)
    const run = async (threads: string) => {
      const result = await cli([
        "evaluate",
        RUN,
        "--batch-size",
        "3",
        "--threads",
        threads,
        "--json",
      ]);
      expect(result.code, result.err).toBe(0);
      return JSON.parse(result.out) as Record<string, unknown>;
    };
    const one = await run("1");
    const two = await run("2");
    expect(one["examples"]).toBe(10);
    expect(one["threads"]).toBe(1);
    expect(two["threads"]).toBe(2);
    expect({ ...two, threads: 1 }).toEqual(one);
    const text = await cli(["evaluate", RUN, "--batch-size", "3", "--threads", "2"]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^data: .*, 10 samples \(backend cpu, 2 threads\)$/m);
  }, 120_000);

  it("infer: the same predictions in 1 and 2 threads, batches shared over both", async () => {
    const run = async (threads: string) => {
      const args = ["infer", RUN, "--count", "7", "--batch-size", "2", "--threads", threads];
      const result = await cli([...args, "--json"]);
      expect(result.code, result.err).toBe(0);
      return JSON.parse(result.out) as {
        threads: number;
        predictions: unknown[];
        latencies: { batch: number; samples: number; thread: number }[];
        wallMs: number;
      };
    };
    const one = await run("1");
    const two = await run("2");
    expect(one.predictions).toHaveLength(7);
    expect(two.predictions).toEqual(one.predictions);
    expect(one.latencies.map((l) => l.thread)).toEqual([0, 0, 0, 0]);
    expect(new Set(two.latencies.map((l) => l.thread))).toEqual(new Set([0, 1]));
    expect(two.latencies.map((l) => [l.batch, l.samples])).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 1],
    ]);
    expect([one.threads, two.threads]).toEqual([1, 2]);
    expect(two.wallMs).toBeGreaterThan(0);
    const text = await cli(["infer", RUN, "--count", "4", "--batch-size", "2", "--threads", "2"]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(
      /^batch 2: 2 samples in [\d.]+ ms \([\d.]+ ms per sample\), thread [12]$/m,
    );
    expect(text.out).toMatch(
      /^all 4 samples in [\d.]+ ms in 2 threads \([\d.]+ samples\/s\), including compiling the network and starting the threads$/m,
    );
  }, 120_000);

  it("a value that is not a positive whole number, or too many threads: exit 2 with the usage", async () => {
    for (const command of ["evaluate", "infer"]) {
      for (const [value, message] of [
        ["0", /--threads must be greater than 0, got 0\./],
        ["-1", /--threads/],
        ["1.5", /--threads must be a whole number, got "1\.5"\./],
        ["two", /--threads must be a number, got "two"\./],
        ["65", /--threads 65 is more than 64; give at most 64\./],
      ] as const) {
        const result = await cli([command, RUN, "--threads", value]);
        expect(result.code, `${command} --threads ${value}`).toBe(2);
        const lines = result.err.trimEnd().split("\n");
        expect(lines[0]).toMatch(new RegExp(`^snn ${command}: error: `));
        expect(lines[0]).toMatch(message);
        expect(result.err).toMatch(new RegExp(`^Usage: snn ${command} `, "m"));
        expect(result.err).not.toMatch(/^\s+at /m);
        expect(result.out).toBe("");
      }
    }
  }, 60_000);

  it("defaults to the cores available, or 1 on a backend that runs in one thread (where more is a usage error)", () => {
    const cpu = { backend: cpuBackend(), name: "cpu" };
    const { worker: _, ...oneThread } = cpuBackend();
    const gpu = { backend: oneThread, name: "webgpu" };
    expect(inferenceThreads(undefined, cpu, "evaluate")).toBe(Math.min(availableParallelism(), 64));
    expect(inferenceThreads(3, cpu, "evaluate")).toBe(3);
    expect(inferenceThreads(undefined, gpu, "evaluate")).toBe(1);
    expect(inferenceThreads(1, gpu, "evaluate")).toBe(1);
    expect(() => inferenceThreads(2, gpu, "infer")).toThrow(
      new UsageError(
        "--threads 2 needs --backend cpu (the webgpu backend runs in one thread); drop --threads or use --backend cpu.",
        "infer",
      ),
    );
    expect(requestedThreads(undefined, "infer")).toBeUndefined();
    expect(requestedThreads(64, "infer")).toBe(64);
  });
});
