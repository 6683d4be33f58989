import type { FileOps } from "./files";
import type { TextSink } from "./progress";

/** What a command may touch: output streams, environment, working directory, signals. */
export interface CliIO {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /**
   * Registers a handler for Ctrl-C (SIGINT); returns a function that removes it. While a
   * handler is registered the process does not exit on SIGINT.
   */
  onInterrupt(handler: () => void): () => void;
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
      process.on("SIGINT", handler);
      return () => {
        process.off("SIGINT", handler);
      };
    },
    exit(code) {
      process.exitCode = code;
      exitAfterFlush(code);
    },
  };
}
