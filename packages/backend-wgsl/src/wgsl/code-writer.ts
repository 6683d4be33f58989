import type { SnippetOrigin } from "../errors";

/** Accumulates generated WGSL line by line, with indentation and the model code each line came from. */
export class CodeWriter {
  private readonly lines: string[] = [];
  private readonly origins: (SnippetOrigin | null)[] = [];
  private depth = 0;
  private temporaries = 0;
  /** Origin given to lines written while it is set (the statement being printed). */
  origin: SnippetOrigin | null = null;

  line(text = ""): void {
    this.lines.push(text === "" ? "" : "  ".repeat(this.depth) + text);
    this.origins.push(text === "" ? null : this.origin);
  }

  /** Writes `head {`, runs `body` indented, then `}` (plus an optional tail such as `else {`). */
  block(head: string, body: () => void): void {
    this.line(head ? `${head} {` : "{");
    this.indent(body);
    this.line("}");
  }

  indent(body: () => void): void {
    this.depth++;
    try {
      body();
    } finally {
      this.depth--;
    }
  }

  /** Writes several lines of fixed text (e.g. a helper function), each indented. */
  text(source: string): void {
    for (const l of source.split("\n")) this.line(l);
  }

  /** A fresh name for a temporary (`tmp0`, `tmp1`, ...), unique within this writer. */
  temporary(prefix = "tmp"): string {
    return `${prefix}${this.temporaries++}`;
  }

  withOrigin<T>(origin: SnippetOrigin | null, body: () => T): T {
    const saved = this.origin;
    this.origin = origin;
    try {
      return body();
    } finally {
      this.origin = saved;
    }
  }

  get code(): string {
    return this.lines.join("\n") + "\n";
  }

  /** Origin of each line (index 0 is line 1). */
  get lineOrigins(): readonly (SnippetOrigin | null)[] {
    return this.origins;
  }
}
