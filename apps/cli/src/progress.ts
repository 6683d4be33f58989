/**
 * What `snn train` prints while it runs: a redrawn progress bar with ETA on a terminal, plain
 * lines when stdout is a file or pipe, JSON lines (`--log-format json`) for scripts, or nothing
 * (`--quiet`). Every JSON event goes to stdout. Alerts (Ctrl-C) and the resume hint of an
 * interrupted run go to stderr once, on a line of their own, in every mode.
 */

/** Mean firing rate per hidden population in Hz. */
export type FiringRates = Readonly<Record<string, number>>;

export interface BatchProgress {
  /** 1-based epoch and batch within the epoch. */
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  /** Mean loss per sample of this batch, and running means over the epoch so far. */
  readonly loss: number;
  readonly accuracy: number;
  readonly runningLoss: number;
  readonly runningAccuracy: number;
  readonly firingRatesHz: FiringRates;
  /** Time since the epoch started, ms. */
  readonly elapsedMs: number;
  /** Estimated time to the end of the epoch, ms; default from the mean time per batch so far. */
  readonly etaMs?: number;
}

export interface EpochSummary {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  /** Absent when the epoch had no test evaluation. */
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  /** Absent when the run holds no samples out for validation. */
  readonly validationLoss?: number;
  readonly validationAccuracy?: number;
  readonly firingRatesHz: FiringRates;
  readonly durationMs: number;
  /** This epoch gave the best validation accuracy so far (without validation: test accuracy). */
  readonly best: boolean;
  readonly checkpoint: string;
}

/** Receives training events; one implementation per output mode. */
export interface Reporter {
  start(
    info: Readonly<Record<string, unknown>> & {
      readonly runDir: string;
      readonly description: string;
    },
  ): void;
  batch(progress: BatchProgress): void;
  /** Test evaluation of an epoch started. */
  evaluating(epoch: number, batches: number): void;
  epoch(summary: EpochSummary): void;
  /** A free-form note (e.g. resuming, where the traces run). A `note` event in JSON mode. */
  note(text: string, data?: Readonly<Record<string, unknown>>): void;
  /**
   * A message the user must see even with `--quiet` (e.g. that Ctrl-C was received): one line on
   * stderr, after clearing a terminal's progress bar; JSON mode also logs it as a `note` event.
   */
  alert(text: string, data?: Readonly<Record<string, unknown>>): void;
  /** The run finished: its summary (nothing with `--quiet`). */
  end(info: Readonly<Record<string, unknown>> & { readonly message: string }): void;
  /**
   * The run stopped on Ctrl-C: its message (with the resume command) is printed once, on stderr,
   * in every mode (a terminal's bar cleared first); JSON mode also logs an `end` event with
   * `status: "interrupted"`.
   */
  interrupted(info: Readonly<Record<string, unknown>> & { readonly message: string }): void;
}

/** Writable text sink (process.stdout or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** "1h02m", "3m05s", "12.3s", "850ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const totalSeconds = Math.round(seconds);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  return `${m}m${String(s).padStart(2, "0")}s`;
}

/** Estimated time left in the epoch from the mean time per batch so far, ms. */
export function estimateRemainingMs(elapsedMs: number, done: number, total: number): number {
  if (done <= 0) return Number.NaN;
  return (elapsedMs / done) * Math.max(0, total - done);
}

function percent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "-";
}

function num(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : "-";
}

function rates(firingRatesHz: FiringRates): string {
  const entries = Object.entries(firingRatesHz);
  if (entries.length === 0) return "";
  return entries.map(([name, hz]) => `${name} ${hz.toFixed(1)} Hz`).join(", ");
}

/** A text bar of `width` cells filled to `fraction`. */
export function progressBar(fraction: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const cells = clamped * width;
  const full = Math.floor(cells);
  const partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
  const partial = full < width ? partials[Math.floor((cells - full) * 8)]! : "";
  return "█".repeat(full) + partial + " ".repeat(Math.max(0, width - full - (partial ? 1 : 0)));
}

function epochLine(s: EpochSummary): string {
  const test =
    s.testAccuracy === undefined
      ? ""
      : ` | test loss ${num(s.testLoss ?? Number.NaN)} acc ${percent(s.testAccuracy)}`;
  const validation =
    s.validationAccuracy === undefined
      ? ""
      : ` | validation loss ${num(s.validationLoss ?? Number.NaN)} acc ${percent(s.validationAccuracy)}`;
  const rateText = rates(s.firingRatesHz);
  return (
    `epoch ${s.epoch}/${s.epochs} done in ${formatDuration(s.durationMs)}: train loss ${num(s.trainLoss)} acc ${percent(s.trainAccuracy)}${validation}${test}` +
    `${rateText ? ` | ${rateText}` : ""}${s.best ? " (best)" : ""}`
  );
}

function etaOf(p: BatchProgress): number {
  return p.etaMs ?? estimateRemainingMs(p.elapsedMs, p.batch, p.batches);
}

function batchLine(p: BatchProgress): string {
  const eta = etaOf(p);
  const rateText = rates(p.firingRatesHz);
  return (
    `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${num(p.runningLoss)} acc ${percent(p.runningAccuracy)}` +
    `${rateText ? ` ${rateText}` : ""} elapsed ${formatDuration(p.elapsedMs)} eta ${formatDuration(eta)}`
  );
}

/** Plain lines: a line about every tenth of an epoch, one per epoch, notes. For files and pipes. */
export class PlainReporter implements Reporter {
  constructor(
    private readonly out: TextSink,
    private readonly err: TextSink = out,
  ) {}

  start(info: { readonly runDir: string; readonly description: string }): void {
    this.out.write(`${info.description}\nrun directory: ${info.runDir}\n`);
  }

  batch(p: BatchProgress): void {
    const every = Math.max(1, Math.floor(p.batches / 10));
    if (p.batch % every === 0 || p.batch === p.batches || p.batch === 1)
      this.out.write(`${batchLine(p)}\n`);
  }

  evaluating(epoch: number, batches: number): void {
    this.out.write(
      `epoch ${epoch}: evaluating on ${batches} test batch${batches === 1 ? "" : "es"}\n`,
    );
  }

  epoch(summary: EpochSummary): void {
    this.out.write(`${epochLine(summary)}\n`);
  }

  note(text: string): void {
    this.out.write(`${text}\n`);
  }

  alert(text: string): void {
    this.err.write(`${text}\n`);
  }

  end(info: { readonly message: string }): void {
    this.out.write(`${info.message}\n`);
  }

  interrupted(info: { readonly message: string }): void {
    this.err.write(`${info.message}\n`);
  }
}

/** A progress bar redrawn in place (at most ~10 times a second), for terminals. */
export class TerminalReporter implements Reporter {
  private lastDraw = 0;
  private barShown = false;

  constructor(
    private readonly out: TextSink,
    private readonly now: () => number = () => performance.now(),
    /** Where alerts and the resume hint go (the same terminal, usually). */
    private readonly err: TextSink = out,
  ) {}

  private clear(): void {
    if (this.barShown) this.out.write("\r\x1b[2K");
    this.barShown = false;
  }

  private line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  start(info: { readonly runDir: string; readonly description: string }): void {
    this.line(`${info.description}\nrun directory: ${info.runDir}`);
  }

  batch(p: BatchProgress): void {
    const t = this.now();
    if (p.batch !== p.batches && p.batch !== 1 && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const eta = etaOf(p);
    // Terminals of unknown width (0 under some pseudo-terminals) get 100 columns.
    const columns =
      this.out.columns !== undefined && this.out.columns >= 40 ? this.out.columns : 100;
    const rateText = rates(p.firingRatesHz);
    const tail = ` ${p.batch}/${p.batches} loss ${num(p.runningLoss)} acc ${percent(p.runningAccuracy)}${rateText ? ` ${rateText}` : ""} ETA ${formatDuration(eta)}`;
    const head = `epoch ${p.epoch}/${p.epochs} `;
    const barWidth = Math.max(10, Math.min(40, columns - head.length - tail.length - 3));
    let text = `${head}[${progressBar(p.batch / p.batches, barWidth)}]${tail}`;
    if (text.length > columns - 1) text = text.slice(0, Math.max(10, columns - 1));
    this.out.write(`\r\x1b[2K${text}`);
    this.barShown = true;
  }

  evaluating(epoch: number, batches: number): void {
    this.clear();
    this.out.write(
      `epoch ${epoch}: evaluating on ${batches} test batch${batches === 1 ? "" : "es"}...`,
    );
    this.barShown = true;
  }

  epoch(summary: EpochSummary): void {
    this.line(epochLine(summary));
  }

  note(text: string): void {
    this.line(text);
  }

  alert(text: string): void {
    this.clear();
    this.err.write(`${text}\n`);
  }

  end(info: { readonly message: string }): void {
    this.line(info.message);
  }

  interrupted(info: { readonly message: string }): void {
    this.alert(info.message);
  }
}

/**
 * One JSON object per line, every event on stdout: `{"event":"batch",...}`. Alerts and the resume
 * hint are also written to stderr as plain text, for the person watching.
 */
export class JsonReporter implements Reporter {
  constructor(
    private readonly out: TextSink,
    private readonly err: TextSink,
  ) {}

  private emit(event: string, data: object): void {
    this.out.write(
      `${JSON.stringify({ event, time: new Date().toISOString(), ...data }, jsonReplacer)}\n`,
    );
  }

  start(info: Readonly<Record<string, unknown>>): void {
    this.emit("start", info);
  }

  batch(p: BatchProgress): void {
    this.emit("batch", { ...p, etaMs: etaOf(p) });
  }

  evaluating(epoch: number, batches: number): void {
    this.emit("evaluate", { epoch, batches });
  }

  epoch(summary: EpochSummary): void {
    this.emit("epoch", summary);
  }

  note(text: string, data: Readonly<Record<string, unknown>> = {}): void {
    this.emit("note", { message: text, ...data });
  }

  alert(text: string, data: Readonly<Record<string, unknown>> = {}): void {
    this.note(text, data);
    this.err.write(`${text}\n`);
  }

  end(info: Readonly<Record<string, unknown>>): void {
    this.emit("end", info);
  }

  interrupted(info: Readonly<Record<string, unknown>> & { readonly message: string }): void {
    this.emit("end", { ...info, status: "interrupted" });
    this.err.write(`${info.message}\n`);
  }
}

/** Prints nothing (`--quiet`) but alerts and the resume hint, on stderr. */
export class QuietReporter implements Reporter {
  constructor(private readonly err: TextSink) {}
  start(): void {}
  batch(): void {}
  evaluating(): void {}
  epoch(): void {}
  note(): void {}
  alert(text: string): void {
    this.err.write(`${text}\n`);
  }
  end(): void {}
  interrupted(info: { readonly message: string }): void {
    this.err.write(`${info.message}\n`);
  }
}

/** JSON.stringify replacer: non-finite numbers become null (JSON has no NaN). */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? null : value;
}

/** The reporter for a log format and output stream. */
export function createReporter(options: {
  logFormat: "text" | "json";
  quiet: boolean;
  stdout: TextSink;
  stderr: TextSink;
}): Reporter {
  if (options.logFormat === "json") return new JsonReporter(options.stdout, options.stderr);
  if (options.quiet) return new QuietReporter(options.stderr);
  return options.stdout.isTTY === true
    ? new TerminalReporter(options.stdout, undefined, options.stderr)
    : new PlainReporter(options.stdout, options.stderr);
}
