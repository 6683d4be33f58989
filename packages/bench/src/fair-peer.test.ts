/**
 * A speed-up over PyTorch is given only where torch ran on an optimised BLAS: the decision, on
 * recorded JSON lines of `reference/bptt_lsnn.py` and `reference/lstm_infer.py`; and, where a
 * python with torch is found, the shared detection `reference/blas_info.py` run for real.
 */
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { speedUpsOverBptt } from "./eprop-training";
import { FAIR_PEER_FIX, judgePeer } from "./fair-peer";
import { speedUpOverLstm } from "./inference-latency";
import { findTorchPython, noTorchReason, referenceScript } from "./pytorch";
import type { BenchResult } from "./report";

const OPENBLAS_LIBRARIES = [
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so",
];
const NETLIB_LIBRARIES = [
  "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3",
  "/usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3",
];

/** A line of bptt_lsnn.py as recorded, with the BLAS fields given (or none: an older script). */
function bpttLine(blas: Record<string, unknown>): Record<string, unknown> {
  return {
    steps: 250,
    neuron: "lif",
    secondsPerBatch: 1.2,
    minSecondsPerBatch: 1.1,
    peakRssBytes: 3e8,
    torch: "1.13.0a0",
    threads: 2,
    ...blas,
  };
}
const OPENBLAS = {
  blas: "OpenBLAS",
  blasThreads: 1,
  blasLibraries: OPENBLAS_LIBRARIES,
  torchBlasInfo: "generic",
};
const NETLIB = {
  blas: "reference BLAS (netlib)",
  blasThreads: 1,
  blasLibraries: NETLIB_LIBRARIES,
  torchBlasInfo: "generic",
};

describe("fair PyTorch peers", () => {
  it("gives a ratio for torch on OpenBLAS or MKL, naming the BLAS", () => {
    const verdict = judgePeer(bpttLine(OPENBLAS), "PyTorch BPTT");
    expect(verdict).toMatchObject({ fair: true, describe: "torch on OpenBLAS, 1 BLAS thread" });
    expect(
      judgePeer(bpttLine({ blas: "MKL", blasThreads: 2, blasLibraries: [] }), "PyTorch BPTT").fair,
    ).toBe(true);
  });

  it("refuses a ratio for netlib's libblas.so.3, saying why and how to fix it", () => {
    const verdict = judgePeer(bpttLine(NETLIB), "PyTorch BPTT");
    expect(verdict.fair).toBe(false);
    if (verdict.fair) return;
    expect(verdict.reason).toMatch(
      /reference BLAS \(netlib\) \(libblas\.so\.3, liblapack\.so\.3\)/,
    );
    expect(verdict.warning).toMatch(/^WARNING: no speed-up over PyTorch BPTT: not a fair peer, /);
    expect(verdict.warning).toContain("apt install libopenblas0-pthread");
    expect(verdict.warning).toContain("SNN_PYTHON");
    expect(verdict.warning).toContain(FAIR_PEER_FIX);
    expect(verdict.warning).not.toContain("\n");
  });

  it("refuses a ratio where the BLAS is unknown or not reported", () => {
    for (const blas of [{ blas: "unknown", blasThreads: null, blasLibraries: [] }, {}]) {
      const verdict = judgePeer(bpttLine(blas), "PyTorch BPTT");
      expect(verdict).toMatchObject({ fair: false, peer: { blas: "unknown", blasThreads: null } });
      if (!verdict.fair) expect(verdict.reason).toMatch(/BLAS is unknown/);
    }
  });

  it("eprop: speed-ups over BPTT on OpenBLAS, none on netlib (one warning, the reason recorded)", () => {
    const chunked: BenchResult[] = [250, 500].map((numSteps) => ({
      case: `eprop chunked T=${numSteps}`,
      form: "chunked",
      numSteps,
      secondsPerBatch: 0.1,
      minSecondsPerBatch: 0.05,
    }));
    const reference = (blas: Record<string, unknown>): BenchResult[] =>
      [250, 500].map((numSteps) => ({
        case: `pytorch BPTT T=${numSteps}`,
        form: "bptt",
        numSteps,
        secondsPerBatch: 1.2,
        minSecondsPerBatch: 1.1,
        ...blas,
      }));

    const lines: string[] = [];
    const fair = speedUpsOverBptt(chunked, reference(OPENBLAS), (line) => lines.push(line));
    expect(fair.map((r) => r.speedUpOverBptt)).toEqual([
      expect.closeTo(12, 9),
      expect.closeTo(12, 9),
    ]);
    expect(fair[0]).toMatchObject({
      peerBlas: "OpenBLAS",
      peerBlasThreads: 1,
      speedUpOverBpttOfMinima: expect.closeTo(22, 9),
    });
    expect(fair[0]).not.toHaveProperty("noRatioReason");
    expect(lines[0]).toBe(
      "  T=250: chunked e-prop is 12.00x the speed of PyTorch BPTT (ratio of medians; 22.00x of minima; same run; torch on OpenBLAS, 1 BLAS thread)",
    );

    lines.length = 0;
    const unfair = speedUpsOverBptt(chunked, reference(NETLIB), (line) => lines.push(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ {2}WARNING: no speed-up over PyTorch BPTT: not a fair peer, torch ran on reference BLAS \(netlib\)/,
    );
    expect(lines.join("\n")).not.toMatch(/x the speed/);
    for (const result of unfair) {
      expect(result).toMatchObject({
        speedUpOverBptt: null,
        speedUpOverBpttOfMinima: null,
        peerBlas: "reference BLAS (netlib)",
        peerBlasThreads: 1,
      });
      expect(result.noRatioReason).toMatch(/netlib/);
    }
  });

  it("inference: the LSNN's speed-up over the LSTM on OpenBLAS, none on netlib", () => {
    const lsnn: BenchResult = {
      case: "lsnn",
      model: "lsnn",
      hidden: 128,
      batchSize: 1,
      msPerSample: 2,
    };
    const lstm = (blas: Record<string, unknown>): BenchResult => ({
      case: "lstm",
      model: "lstm",
      hidden: 128,
      batchSize: 1,
      msPerSample: 9,
      ...blas,
    });
    const lines: string[] = [];
    expect(speedUpOverLstm(lsnn, lstm(OPENBLAS), (line) => lines.push(line))).toMatchObject({
      speedUpOverLstm: 4.5,
      peerBlas: "OpenBLAS",
      peerBlasThreads: 1,
    });
    expect(lines).toEqual([
      "  128 hidden, batch 1: LSNN inference is 4.5x the speed of the LSTM's (same run; torch on OpenBLAS, 1 BLAS thread)",
    ]);
    lines.length = 0;
    const refused = speedUpOverLstm(lsnn, lstm({ blas: "unknown", blasLibraries: [] }), (line) =>
      lines.push(line),
    );
    expect(refused).toMatchObject({
      speedUpOverLstm: null,
      peerBlas: "unknown",
      peerBlasThreads: null,
      noRatioReason: expect.stringMatching(/unknown/),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /WARNING: no speed-up over the PyTorch LSTM: not a fair peer, .*apt install libopenblas0-pthread, or set SNN_PYTHON/,
    );
  });
});

const python = findTorchPython();
describe.skipIf(python === null)(
  python === null
    ? `reference/blas_info.py (skipped: ${noTorchReason()})`
    : "reference/blas_info.py",
  () => {
    it("names the BLAS torch loaded, as the reference scripts import it", () => {
      // As the scripts do: `from blas_info import blas_report`, their own directory on sys.path.
      const snippet = [
        "import json, sys",
        "from blas_info import NETLIB, blas_report, classify",
        "report = blas_report()",
        "report['netlib'] = classify(['/usr/lib/x86_64-linux-gnu/blas/libblas.so.3']) == NETLIB",
        "print(json.dumps(report))",
      ].join("\n");
      const run = spawnSync(python!, ["-c", snippet], {
        cwd: dirname(referenceScript("blas_info.py")),
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
      });
      expect(run.status, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
      expect(report.netlib).toBe(true);
      // This project's machines have Debian's python3-torch with libopenblas0-pthread.
      expect(report.blas, JSON.stringify(report)).toBe("OpenBLAS");
      expect(report.blasThreads).toBe(1);
      expect(report.blasLibraries).toEqual(
        expect.arrayContaining([expect.stringMatching(/openblas/)]),
      );
      expect(report).not.toHaveProperty("warning");
      expect(judgePeer(report, "PyTorch").fair).toBe(true);
    }, 60_000);
  },
);
