/**
 * The signals that ask a long command to stop: Ctrl-C (SIGINT), SIGTERM (a service manager, a
 * container or `kill` stopping it) and SIGHUP (its terminal closed). All three are handled
 * alike; each ends the command with the conventional status 128 + the signal's number.
 */
import { constants } from "node:os";

/** A signal that interrupts a command. */
export type InterruptSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** Every signal {@link CliIO.onInterrupt} handlers receive. */
export const INTERRUPT_SIGNALS: readonly InterruptSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The exit status of a command stopped by `signal`: 130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP. */
export function interruptExitCode(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

/** How a message names the signal, e.g. "Ctrl-C" or "SIGTERM". */
export function signalName(signal: InterruptSignal): string {
  return signal === "SIGINT" ? "Ctrl-C" : signal;
}

/**
 * Two-stage handling of interrupts for work that can stop at a safe point: the first signal
 * asks it to stop there (`graceful`), a second one gives up at once (`abandon`). Receiving can
 * begin before the work attaches its handlers (e.g. while a run loads its checkpoint): a signal
 * that came first is passed on when they attach, and a second one before then exits directly.
 */
export class TwoStageInterrupt {
  /** The first signal received, if any. */
  first: InterruptSignal | undefined;
  private graceful: ((signal: InterruptSignal) => void) | undefined;
  private abandon: ((signal: InterruptSignal) => void) | undefined;

  /** `exit` ends the process with a status (used for a second signal before handlers attach). */
  constructor(private readonly exit: (code: number) => void) {}

  /** The handler to register with {@link CliIO.onInterrupt}. */
  readonly receive = (signal: InterruptSignal): void => {
    if (this.first === undefined) {
      this.first = signal;
      this.graceful?.(signal);
    } else if (this.abandon !== undefined) {
      this.abandon(signal);
    } else {
      this.exit(interruptExitCode(signal));
    }
  };

  /** Attaches the work's handlers; calls `graceful` at once if a signal already came. */
  attach(
    graceful: (signal: InterruptSignal) => void,
    abandon: (signal: InterruptSignal) => void,
  ): void {
    this.graceful = graceful;
    this.abandon = abandon;
    if (this.first !== undefined) graceful(this.first);
  }
}
