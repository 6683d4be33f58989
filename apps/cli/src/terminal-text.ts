/**
 * Text from files (dataset class names, ...) made safe to print on a terminal: control
 * characters (C0, DEL, C1) and the bidirectional-override characters are shown as escapes
 * (`\n`, `\t`, `\x1b`, `\u202e`), so that a file cannot move the cursor, change colours or
 * reorder what is printed.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` with every control or bidi-override character replaced by a visible escape. */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
