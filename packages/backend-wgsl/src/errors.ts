import { SnnError } from "@snn/core";

/**
 * No WebGPU adapter could be found. The message says what to install and which environment
 * variable to set (on Linux without a GPU: Mesa's EGL and llvmpipe, `EGL_PLATFORM=surfaceless`).
 */
export class WebGpuUnavailableError extends SnnError {}

/** The WebGPU device was lost (destroyed, driver reset, out of memory); the runtime cannot continue. */
export class DeviceLostError extends SnnError {
  constructor(
    /** `destroyed` or `unknown`, as WebGPU reports it. */
    readonly reason: string,
    /** The driver's message. */
    readonly detail: string,
  ) {
    super(
      `The WebGPU device was lost (reason: ${reason}${detail ? `; ${detail}` : ""}). This runtime cannot be used any more: create a new device (or backend) and compile the network again.`,
    );
  }
}

/** One message of the WGSL compiler, located in the generated code and, where known, in model code. */
export interface WgslDiagnostic {
  readonly type: "error" | "warning" | "info";
  readonly message: string;
  /** 1-based line in the generated WGSL (0 when unknown). */
  readonly line: number;
  readonly column: number;
  /** The generated line. */
  readonly generatedLine: string;
  /** The model snippet the line came from, if it came from model code. */
  readonly origin: SnippetOrigin | null;
}

/** Where a generated line came from: a model's code field and a position in it. */
export interface SnippetOrigin {
  readonly model: string;
  readonly field: string;
  /** 1-based line and column in the snippet source. */
  readonly line: number;
  readonly column: number;
  /** The snippet source line. */
  readonly sourceLine: string;
}

/** The WGSL generated for a kernel did not compile; each diagnostic shows the generated line and the model code it came from. */
export class WgslCompileError extends SnnError {
  constructor(
    readonly kernel: string,
    readonly diagnostics: readonly WgslDiagnostic[],
    readonly code: string,
  ) {
    super(formatCompileError(kernel, diagnostics));
  }
}

function formatCompileError(kernel: string, diagnostics: readonly WgslDiagnostic[]): string {
  const lines = [`The WGSL generated for kernel '${kernel}' did not compile:`];
  for (const d of diagnostics) {
    lines.push(`  ${d.type}: ${d.message}`);
    if (d.line > 0) lines.push(`    generated line ${d.line}: ${d.generatedLine.trim()}`);
    if (d.origin) {
      lines.push(
        `    from model '${d.origin.model}', ${d.origin.field} code, line ${d.origin.line}: ${d.origin.sourceLine.trim()}`,
      );
    }
  }
  const fromModel = diagnostics.some((d) => d.origin !== null);
  lines.push(
    fromModel
      ? "Change the model code shown above (e.g. a constant expression that overflows f32, or an integer division by zero); print all shaders with the printCode compile option."
      : "This is a bug in @snn/backend-wgsl's code generation; please report it with the shader (compile with printCode: true).",
  );
  return lines.join("\n");
}

/**
 * A buffer would exceed what the device can bind. Names the buffer, its size and the limit,
 * and what to change.
 */
export class BufferLimitError extends SnnError {
  constructor(
    readonly buffer: string,
    readonly bytes: number,
    readonly limitBytes: number,
    advice: string,
  ) {
    super(
      `${buffer} needs ${formatBytes(bytes)} (${bytes} bytes), more than one buffer binding holds here, ${formatBytes(limitBytes)} (${limitBytes} bytes: the device's maxStorageBufferBindingSize, or the maxBufferBindingBytes option where set lower), by ${formatBytes(bytes - limitBytes)}. ${advice}`,
    );
  }
}

/** Bytes as a short human-readable figure (KiB, MiB, GiB). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
