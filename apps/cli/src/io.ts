import type { FileOps } from "./files";
import { INTERRUPT_SIGNALS, type InterruptSignal } from "./interrupt";
import type { TextSink } from "./progress";

/** What a command may touch: output streams, environment, working directory, signals. */
export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Registers a handler for Ctrl-C (SIGINT), SIGTERM and SIGHUP, which receives the signal;
   * returns a function that removes it. While a handler is registered the process does not
   * exit on these signals.
   */
  onInterrupt(handler: (signal: InterruptSignal) => void): () => void;
  /** Ends the process with `code` as soon as stdout and stderr are flushed. */
  exit(code: number): void;
  /** File writes of run directories and checkpoints (absent: Node's; tests inject failures such as a full disk). */
  readonly files?: FileOps;
}

/**
 * Flushes stdout and stderr, then exits with `code`. The explicit exit also matters for
 * WebGPU: Dawn can crash while Node tears down a process that still holds a device.
 */
export function exitAfterFlush(code: number): void {
  process.stdout.write("", () => {
    process.stderr.write("", () => process.exit(code));
  });
}

/** The real process's streams, environment and signals. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      const listeners = INTERRUPT_SIGNALS.map((signal) => {
        const listener = (): void => {
          // After a hangup the terminal is gone: writing to it fails (EIO, EPIPE), which must
          // not end the process before it has saved its work.
          if (signal === "SIGHUP") ignoreStreamErrors();
          handler(signal);
        };
        process.on(signal, listener);
        return { signal, listener };
      });
      return () => {
        for (const { signal, listener } of listeners) process.off(signal, listener);
      };
    },
    exit(code) {
      process.exitCode = code;
      exitAfterFlush(code);
    },
  };
}

let streamErrorsIgnored = false;

/** From now on, failed writes to stdout and stderr are dropped instead of ending the process. */
function ignoreStreamErrors(): void {
  if (streamErrorsIgnored) return;
  streamErrorsIgnored = true;
  process.stdout.on("error", () => {});
  process.stderr.on("error", () => {});
}
