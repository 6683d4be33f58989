import { describe, expect, it } from "vitest";
import {
  JsonReporter,
  PlainReporter,
  TerminalReporter,
  createReporter,
  estimateRemainingMs,
  formatDuration,
  progressBar,
  type BatchProgress,
  type TextSink,
} from "./progress";

class Buffer implements TextSink {
  text = "";
  constructor(readonly isTTY = false) {}
  write(chunk: string): void {
    this.text += chunk;
  }
}

function batch(b: number, batches = 20): BatchProgress {
  return {
    epoch: 1,
    epochs: 2,
    batch: b,
    batches,
    loss: 1,
    accuracy: 0.5,
    runningLoss: 1.25,
    runningAccuracy: 0.375,
    firingRatesHz: { hidden: 12.34 },
    elapsedMs: b * 1000,
  };
}

describe("formatting", () => {
  it("formats durations", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(12_345)).toBe("12.3s");
    expect(formatDuration(185_000)).toBe("3m05s");
    expect(formatDuration(3_725_000)).toBe("1h02m");
    expect(formatDuration(Number.NaN)).toBe("?");
  });

  it("estimates the time left from the mean batch time", () => {
    expect(estimateRemainingMs(4000, 4, 10)).toBe(6000);
    expect(estimateRemainingMs(0, 0, 10)).toBeNaN();
  });

  it("draws bars of fixed width", () => {
    expect(progressBar(0, 10)).toBe(" ".repeat(10));
    expect(progressBar(1, 10)).toBe("█".repeat(10));
    expect(progressBar(0.5, 10)).toBe("█".repeat(5) + " ".repeat(5));
    expect([...progressBar(0.55, 10)]).toHaveLength(10);
  });
});

describe("reporters", () => {
  it("plain: about ten batch lines per epoch, no control characters", () => {
    const out = new Buffer();
    const reporter = new PlainReporter(out);
    for (let b = 1; b <= 20; b++) reporter.batch(batch(b));
    const lines = out.text.trim().split("\n");
    expect(lines.length).toBe(11); // batch 1 and every second batch
    expect(lines[lines.length - 1]).toBe(
      "epoch 1/2 batch 20/20 loss 1.2500 acc 37.5% hidden 12.3 Hz elapsed 20.0s eta 0ms",
    );
    // eslint-disable-next-line no-control-regex -- no ANSI escape may reach a file or pipe
    expect(out.text).not.toMatch(/\x1b|\r/);
  });

  it("terminal: redraws one line with a bar and ETA", () => {
    const out = new Buffer(true);
    let now = 0;
    const reporter = new TerminalReporter(out, () => now);
    reporter.batch(batch(1));
    now = 1000;
    reporter.batch(batch(5));
    expect(out.text).toContain("\r\x1b[2K");
    expect(out.text).toContain("ETA 15.0s");
    expect(out.text).toContain("5/20");
    reporter.note("done");
    expect(out.text.endsWith("\r\x1b[2Kdone\n")).toBe(true);
  });

  it("terminal: an unknown width (0) still shows the whole bar", () => {
    const out = Object.assign(new Buffer(true), { columns: 0 });
    new TerminalReporter(out, () => 0).batch(batch(1));
    expect(out.text).toMatch(/epoch 1\/2 \[.+\] 1\/20 loss 1\.2500 acc 37\.5% hidden 12\.3 Hz ETA/);
  });

  it("json: one parsable object per line, NaN as null", () => {
    const out = new Buffer();
    const err = new Buffer();
    const reporter = new JsonReporter(out, err);
    reporter.batch({ ...batch(2), loss: Number.NaN });
    reporter.note("hello", { x: 1 });
    const [record, note] = out.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(record!["event"]).toBe("batch");
    expect(record!["loss"]).toBeNull();
    expect(record!["etaMs"]).toBe(18000);
    expect(note).toMatchObject({ event: "note", message: "hello", x: 1 });
    expect(err.text).toBe("");
  });

  it("json: every event on stdout; alerts and the resume hint also as plain text on stderr", () => {
    const out = new Buffer();
    const err = new Buffer();
    const reporter = new JsonReporter(out, err);
    reporter.start({ runDir: "r", description: "d" });
    reporter.note("traces here");
    reporter.alert("Interrupted: finishing");
    reporter.interrupted({
      message: "Interrupted at epoch 1. Resume with: snn train --resume r",
      resumeCommand: "snn train --resume r",
    });
    const events = out.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e["event"])).toEqual(["start", "note", "note", "end"]);
    expect(events[3]).toMatchObject({
      status: "interrupted",
      resumeCommand: "snn train --resume r",
    });
    expect(err.text).toBe(
      "Interrupted: finishing\nInterrupted at epoch 1. Resume with: snn train --resume r\n",
    );
  });

  it("terminal: an alert and the resume hint clear the bar and print once, on stderr, on lines of their own", () => {
    const out = new Buffer(true);
    const err = new Buffer(true);
    const reporter = new TerminalReporter(out, () => 0, err);
    reporter.batch(batch(1));
    reporter.alert("Interrupted: finishing");
    expect(out.text.endsWith("\r\x1b[2K")).toBe(true);
    reporter.batch(batch(20));
    reporter.interrupted({ message: "Resume with: snn train --resume r" });
    expect(out.text.endsWith("\r\x1b[2K")).toBe(true);
    expect(out.text).not.toContain("Resume with");
    expect(err.text).toBe("Interrupted: finishing\nResume with: snn train --resume r\n");
  });

  it("plain and quiet: the resume hint once, on stderr", () => {
    for (const quiet of [false, true]) {
      const out = new Buffer();
      const err = new Buffer();
      const reporter = createReporter({ logFormat: "text", quiet, stdout: out, stderr: err });
      reporter.alert("Interrupted: finishing");
      reporter.interrupted({ message: "Resume with: x" });
      expect(out.text).toBe("");
      expect(err.text).toBe("Interrupted: finishing\nResume with: x\n");
    }
  });

  it("picks by log format and terminal", () => {
    expect(
      createReporter({
        logFormat: "text",
        quiet: false,
        stdout: new Buffer(true),
        stderr: new Buffer(),
      }),
    ).toBeInstanceOf(TerminalReporter);
    expect(
      createReporter({
        logFormat: "text",
        quiet: false,
        stdout: new Buffer(false),
        stderr: new Buffer(),
      }),
    ).toBeInstanceOf(PlainReporter);
    expect(
      createReporter({
        logFormat: "json",
        quiet: false,
        stdout: new Buffer(false),
        stderr: new Buffer(),
      }),
    ).toBeInstanceOf(JsonReporter);
    const quiet = createReporter({
      logFormat: "text",
      quiet: true,
      stdout: new Buffer(true),
      stderr: new Buffer(),
    });
    expect(quiet.constructor.name).toBe("QuietReporter");
  });
});
