/**
 * A readable listing of the functions the assembler encodes: one instruction a line, indented by
 * block nesting, with WebAssembly's text-format names (`local.get 3`, `f32x4.mul`,
 * `i32.trunc_sat_f32_s`), for golden files of generated kernels and for debugging. Not WAT: the
 * header lines are comments and locals are referred to by index.
 *
 * The opcodes are not written twice: the decoding table is built from the encoders of `op`, so
 * an instruction added there is listed by name (or, where its immediate is new, the table build
 * fails and says which one to describe in `IMMEDIATES`).
 */
import {
  flatten,
  op,
  VALUE_TYPE,
  type Code,
  type FunctionDefinition,
  type FunctionImport,
  type ValueType,
} from "./wasm-assembler";

/** The immediate operand an instruction carries after its opcode. */
type Immediate =
  | "none"
  | "block"
  | "label"
  | "local"
  | "function"
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "memarg"
  | "v128"
  | "lane";

/** The immediates of the encoders that take arguments (keyed by their path in `op`). */
const IMMEDIATES: Readonly<Record<string, Immediate>> = {
  block: "block",
  loop: "block",
  if: "block",
  ifElse: "block",
  br: "label",
  brIf: "label",
  get: "local",
  set: "local",
  tee: "local",
  call: "function",
  "i32.const": "i32",
  "i64.const": "i64",
  "f32.const": "f32",
  "f64.const": "f64",
  "v128.constI32": "v128",
};

/** Text-format names that do not follow from the `op` path by splitting its camel case. */
const NAMES: Readonly<Record<string, string>> = {
  ifElse: "if",
  brIf: "br_if",
  get: "local.get",
  set: "local.set",
  tee: "local.tee",
  "v128.constI32": "v128.const",
  "v128.andNot": "v128.andnot",
};

/** Sample encodings of each immediate kind: the arguments to encode it and the bytes it takes. */
const SAMPLES: Readonly<Record<Exclude<Immediate, "block">, [unknown[], number]>> = {
  none: [[], 0],
  label: [[0], 1],
  local: [[0], 1],
  function: [[0], 1],
  i32: [[0], 1],
  i64: [[0n], 1],
  f32: [[0], 4],
  f64: [[0], 8],
  memarg: [[], 2],
  v128: [[[0, 0, 0, 0]], 16],
  lane: [[0], 1],
};

interface Instruction {
  readonly name: string;
  readonly immediate: Immediate;
}

const PREFIXES = new Set([0xfc, 0xfd]);

/** `op` path to its decoding-table key: the opcode, or prefix and sub-opcode. */
function opcodeKey(bytes: readonly number[]): string {
  const first = bytes[0]!;
  if (!PREFIXES.has(first)) {
    if (bytes.length !== 1) throw new Error(`internal error: opcode ${bytes.join(" ")}`);
    return String(first);
  }
  const reader = new Reader(bytes);
  reader.at = 1;
  const sub = reader.unsigned();
  if (reader.at !== bytes.length) throw new Error(`internal error: opcode ${bytes.join(" ")}`);
  return `${first}:${sub}`;
}

function immediateOf(path: string): Immediate {
  const known = IMMEDIATES[path];
  if (known !== undefined) return known;
  const key = path.slice(path.lastIndexOf(".") + 1);
  if (key === "load" || key === "store") return "memarg";
  if (key === "extractLane" || key === "replaceLane") return "lane";
  throw new Error(
    `wasm listing: op.${path} takes an immediate the listing does not know; describe it in IMMEDIATES.`,
  );
}

function textName(path: string): string {
  return (
    NAMES[path] ?? path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`).replace("._", ".")
  );
}

/** Arguments that make the block encoders give an empty block (its opcode is the first byte). */
const EMPTY_BLOCK: Readonly<Record<string, unknown[]>> = {
  block: [],
  loop: [],
  if: [[]],
  ifElse: ["i32", [], []],
};

/** The opcode bytes of an encoder, without its sample immediate (and a block's body and end). */
function opcodeOf(path: string, encoder: unknown, immediate: Immediate): number[] {
  if (typeof encoder !== "function") return flatten(encoder as Code);
  const encode = encoder as (...args: unknown[]) => Code;
  if (immediate === "block") return flatten(encode(...EMPTY_BLOCK[path]!)).slice(0, 1);
  const [args, length] = SAMPLES[immediate];
  const bytes = flatten(encode(...args));
  return bytes.slice(0, bytes.length - length);
}

let table: Map<string, Instruction> | null = null;

/** Opcode key to instruction, from `op` (built on first use). */
function decodingTable(): Map<string, Instruction> {
  if (table !== null) return table;
  const built = new Map<string, Instruction>([
    ["5", { name: "else", immediate: "none" }],
    ["11", { name: "end", immediate: "none" }],
  ]);
  const add = (path: string, encoder: unknown): void => {
    const immediate = typeof encoder === "function" ? immediateOf(path) : "none";
    const key = opcodeKey(opcodeOf(path, encoder, immediate));
    // `if` and `ifElse` share an opcode; the first listed names it.
    if (!built.has(key)) built.set(key, { name: textName(path), immediate });
  };
  for (const [name, entry] of Object.entries(op)) {
    const isGroup = typeof entry === "object" && !Array.isArray(entry);
    if (!isGroup) add(name, entry);
    else for (const [key, encoder] of Object.entries(entry)) add(`${name}.${key}`, encoder);
  }
  table = built;
  return built;
}

/** Reads LEB128 numbers and raw bytes from an instruction stream. */
class Reader {
  at = 0;
  constructor(private readonly bytes: readonly number[]) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  byte(): number {
    if (this.done) throw new Error("wasm listing: the code ends inside an instruction");
    return this.bytes[this.at++]!;
  }

  take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let k = 0; k < count; k++) out[k] = this.byte();
    return out;
  }

  unsigned(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  }

  signed(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.byte();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if ((byte & 0x80) === 0) {
        return (byte & 0x40) !== 0 ? result - (1n << shift) : result;
      }
    }
  }
}

const TYPE_NAME = new Map<number, ValueType>(
  Object.entries(VALUE_TYPE).map(([name, code]) => [code, name as ValueType]),
);

function valueTypeName(code: number): string {
  const name = TYPE_NAME.get(code);
  if (name === undefined) throw new Error(`wasm listing: unknown value type 0x${hex(code, 2)}`);
  return name;
}

const hex = (value: number, digits: number): string => value.toString(16).padStart(digits, "0");

/** A float constant: its shortest decimal, or its bits where that says less (NaN). */
function floatText(value: number, bits: string): string {
  if (Number.isNaN(value)) return `nan:0x${bits}`;
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  return Object.is(value, -0) ? "-0" : String(value);
}

function immediateText(
  reader: Reader,
  immediate: Immediate,
  functionNames: readonly string[],
): string {
  switch (immediate) {
    case "none":
      return "";
    case "block": {
      const type = reader.byte();
      return type === 0x40 ? "" : ` (result ${valueTypeName(type)})`;
    }
    case "label":
    case "local":
    case "lane":
      return ` ${immediate === "lane" ? reader.byte() : reader.unsigned()}`;
    case "function": {
      const index = reader.unsigned();
      const name = functionNames[index];
      return name === undefined ? ` ${index}` : ` ${index} ;; ${name}`;
    }
    case "i32":
      return ` ${BigInt.asIntN(32, reader.signed())}`;
    case "i64":
      return ` ${BigInt.asIntN(64, reader.signed())}`;
    case "f32": {
      const bytes = reader.take(4);
      const view = new DataView(bytes.buffer);
      return ` ${floatText(view.getFloat32(0, true), hex(view.getUint32(0, true), 8))}`;
    }
    case "f64": {
      const bytes = reader.take(8);
      const view = new DataView(bytes.buffer);
      const bits = view.getBigUint64(0, true).toString(16).padStart(16, "0");
      return ` ${floatText(view.getFloat64(0, true), bits)}`;
    }
    case "memarg": {
      const align = reader.unsigned();
      const offset = reader.unsigned();
      return ` offset=${offset} align=${2 ** align}`;
    }
    case "v128": {
      const view = new DataView(reader.take(16).buffer);
      const lanes = [0, 4, 8, 12].map((at) => `0x${hex(view.getUint32(at, true), 8)}`);
      return ` i32x4 ${lanes.join(" ")}`;
    }
  }
}

/** The instructions of a function body, one a line, indented two spaces per open block. */
function listBody(code: Code, functionNames: readonly string[]): string {
  const reader = new Reader(flatten(code));
  const instructions = decodingTable();
  let depth = 1;
  let out = "";
  while (!reader.done) {
    const start = reader.at;
    const first = reader.byte();
    const key = PREFIXES.has(first) ? `${first}:${reader.unsigned()}` : String(first);
    const instruction = instructions.get(key);
    if (instruction === undefined) {
      throw new Error(
        `wasm listing: unknown instruction ${key.replace(/\d+/g, (n) => `0x${hex(Number(n), 2)}`)} at byte ${start}`,
      );
    }
    const text = instruction.name + immediateText(reader, instruction.immediate, functionNames);
    const closes = instruction.name === "end" || instruction.name === "else";
    if (closes) depth--;
    if (depth < 1) throw new Error(`wasm listing: 'end' without a block at byte ${start}`);
    out += `${"  ".repeat(depth)}${text}\n`;
    if (instruction.immediate === "block" || instruction.name === "else") depth++;
  }
  if (depth !== 1) throw new Error("wasm listing: the code ends inside a block");
  return out;
}

const numberedTypes = (types: readonly ValueType[], first: number): string =>
  types.length === 0 ? "(none)" : types.map((type, k) => `${first + k}: ${type}`).join(", ");

/**
 * One listing per function, as a module with these functions after `imports` would number them;
 * `call` instructions name their target (an import as `module.name`).
 */
export function listFunctions(
  functions: readonly FunctionDefinition[],
  imports: readonly FunctionImport[] = [],
): string[] {
  const functionNames = [
    ...imports.map((f) => `${f.module}.${f.name}`),
    ...functions.map((f) => f.name),
  ];
  return functions.map((f, index) => {
    const results = f.results ?? [];
    return (
      `;; function ${imports.length + index}: ${f.name}\n` +
      `;; params: ${numberedTypes(f.params, 0)}\n` +
      `;; results: ${results.length === 0 ? "(none)" : results.join(", ")}\n` +
      `;; locals: ${numberedTypes(f.locals, f.params.length)}\n` +
      `func ${f.name}\n${listBody(f.body, functionNames)}end\n`
    );
  });
}
