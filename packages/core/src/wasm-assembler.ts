/**
 * A very small WebAssembly module assembler: enough to write numeric kernels with 128-bit
 * SIMD (f32x4) as structured instruction lists in TypeScript, with no toolchain. Used by the
 * CPU backend's synaptic delivery and by the chunked e-prop kernels; each instruction helper
 * returns its encoded bytes. Not a general toolchain: the opcode tables hold what those kernels use.
 */

export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128";
/** The encoding of each value type (also the block type of a block or `if` giving that value). */
export const VALUE_TYPE: Record<ValueType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
};

/** Encoded instructions: nested arrays are flattened. */
export type Code = number | readonly Code[];

/** The bytes of encoded instructions, in order. */
export function flatten(code: Code, out: number[] = []): number[] {
  if (typeof code === "number") out.push(code);
  else for (const part of code) flatten(part, out);
  return out;
}

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function name(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...unsignedLeb(bytes.length), ...bytes];
}

function section(id: number, content: number[]): number[] {
  const out = [id, ...unsignedLeb(content.length)];
  for (const byte of content) out.push(byte);
  return out;
}

function vector(items: number[][]): number[] {
  const out = unsignedLeb(items.length);
  for (const item of items) for (const byte of item) out.push(byte);
  return out;
}

const BLOCK_VOID = 0x40;
const memarg = (alignLog2: number, offset: number): number[] => [
  ...unsignedLeb(alignLog2),
  ...unsignedLeb(offset),
];
const simd = (op: number): number[] => [0xfd, ...unsignedLeb(op)];

/** Instruction encoders (the subset the kernels use). */
export const op = {
  block: (...body: Code[]): Code => [0x02, BLOCK_VOID, body, 0x0b],
  loop: (...body: Code[]): Code => [0x03, BLOCK_VOID, body, 0x0b],
  if: (then: Code, otherwise?: Code): Code =>
    otherwise === undefined
      ? [0x04, BLOCK_VOID, then, 0x0b]
      : [0x04, BLOCK_VOID, then, 0x05, otherwise, 0x0b],
  /** `if` giving a value of `type` from either branch (pops the condition). */
  ifElse: (type: ValueType, then: Code, otherwise: Code): Code => [
    0x04,
    VALUE_TYPE[type],
    then,
    0x05,
    otherwise,
    0x0b,
  ],
  br: (depth: number): Code => [0x0c, ...unsignedLeb(depth)],
  brIf: (depth: number): Code => [0x0d, ...unsignedLeb(depth)],
  get: (local: number): Code => [0x20, ...unsignedLeb(local)],
  set: (local: number): Code => [0x21, ...unsignedLeb(local)],
  tee: (local: number): Code => [0x22, ...unsignedLeb(local)],
  /** Pops a condition and two values; pushes the first if the condition is non-zero, else the second. */
  select: 0x1b,
  call: (index: number): Code => [0x10, ...unsignedLeb(index)],
  i32: {
    const: (value: number): Code => [0x41, ...signedLeb(value)],
    load: (offset = 0): Code => [0x28, ...memarg(2, offset)],
    store: (offset = 0): Code => [0x36, ...memarg(2, offset)],
    eqz: 0x45,
    eq: 0x46,
    ne: 0x47,
    ltS: 0x48,
    ltU: 0x49,
    gtS: 0x4a,
    gtU: 0x4b,
    leS: 0x4c,
    leU: 0x4d,
    geS: 0x4e,
    geU: 0x4f,
    and: 0x71,
    or: 0x72,
    add: 0x6a,
    sub: 0x6b,
    mul: 0x6c,
    divS: 0x6d,
    divU: 0x6e,
    remS: 0x6f,
    remU: 0x70,
    shl: 0x74,
    shrU: 0x76,
    xor: 0x73,
    /** Count of trailing zero bits. */
    ctz: 0x68,
    /** The low 32 bits of an i64. */
    wrapI64: 0xa7,
    /** The f32's bits as an i32. */
    reinterpretF32: 0xbc,
    /** f32 to i32 truncating, saturating, NaN to 0 (signed / unsigned). */
    truncSatF32S: [0xfc, 0x00],
    truncSatF32U: [0xfc, 0x01],
  },
  f32: {
    const: (value: number): Code => {
      const bytes = new Uint8Array(new Float32Array([value]).buffer);
      return [0x43, ...bytes];
    },
    load: (offset = 0): Code => [0x2a, ...memarg(2, offset)],
    store: (offset = 0): Code => [0x38, ...memarg(2, offset)],
    eq: 0x5b,
    ne: 0x5c,
    lt: 0x5d,
    gt: 0x5e,
    le: 0x5f,
    ge: 0x60,
    abs: 0x8b,
    neg: 0x8c,
    ceil: 0x8d,
    floor: 0x8e,
    sqrt: 0x91,
    add: 0x92,
    sub: 0x93,
    mul: 0x94,
    div: 0x95,
    min: 0x96,
    max: 0x97,
    /** i32 to the nearest f32 (signed / unsigned). */
    convertI32S: 0xb2,
    convertI32U: 0xb3,
    /** f64 on the stack to the nearest f32. */
    demoteF64: 0xb6,
    /** The i32's bits as an f32. */
    reinterpretI32: 0xbe,
  },
  i64: {
    const: (value: bigint): Code => {
      // signed LEB128 of a 64-bit value
      const bytes: number[] = [];
      let v = BigInt.asIntN(64, value);
      for (;;) {
        const byte = Number(v & 0x7fn);
        v >>= 7n;
        const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
        bytes.push(done ? byte : byte | 0x80);
        if (done) return [0x42, ...bytes];
      }
    },
    mul: 0x7e,
    shrU: 0x88,
    shl: 0x86,
    or: 0x84,
    /** u32 to i64 (zero-extended). */
    extendI32U: 0xad,
  },
  f64: {
    const: (value: number): Code => [0x44, ...new Uint8Array(new Float64Array([value]).buffer)],
    load: (offset = 0): Code => [0x2b, ...memarg(3, offset)],
    add: 0xa0,
    mul: 0xa2,
    sqrt: 0x9f,
    /** u32 to f64 (exact). */
    convertI32U: 0xb8,
    /** f32 on the stack to f64 (exact). */
    promoteF32: 0xbb,
  },
  v128: {
    load: (offset = 0): Code => [...simd(0x00), ...memarg(4, offset)],
    store: (offset = 0): Code => [...simd(0x0b), ...memarg(4, offset)],
    /** A constant vector of four 32-bit lanes, given as the lanes' bit patterns (i32). */
    constI32: (lanes: readonly [number, number, number, number]): Code => [
      ...simd(0x0c),
      ...new Uint8Array(Int32Array.from(lanes).buffer),
    ],
    not: simd(0x4d),
    and: simd(0x4e),
    /** a & ~b. */
    andNot: simd(0x4f),
    or: simd(0x50),
    xor: simd(0x51),
    /** Pops a, b, mask: (a & mask) | (b & ~mask). */
    bitselect: simd(0x52),
    anyTrue: simd(0x53),
  },
  f32x4: {
    splat: simd(0x13),
    extractLane: (lane: number): Code => [...simd(0x1f), lane],
    replaceLane: (lane: number): Code => [...simd(0x20), lane],
    /** Comparisons give lane masks (all ones or zero). */
    eq: simd(0x41),
    ne: simd(0x42),
    lt: simd(0x43),
    gt: simd(0x44),
    le: simd(0x45),
    ge: simd(0x46),
    ceil: simd(0x67),
    floor: simd(0x68),
    abs: simd(0xe0),
    neg: simd(0xe1),
    sqrt: simd(0xe3),
    add: simd(0xe4),
    sub: simd(0xe5),
    mul: simd(0xe6),
    div: simd(0xe7),
    /** IEEE min/max with NaN propagation and -0 < +0 (as Math.min/max). */
    min: simd(0xe8),
    max: simd(0xe9),
    /** i32 lanes to the nearest f32 (signed / unsigned). */
    convertI32x4S: simd(0xfa),
    convertI32x4U: simd(0xfb),
  },
  i32x4: {
    splat: simd(0x11),
    extractLane: (lane: number): Code => [...simd(0x1b), lane],
    replaceLane: (lane: number): Code => [...simd(0x1c), lane],
    eq: simd(0x37),
    ne: simd(0x38),
    ltS: simd(0x39),
    ltU: simd(0x3a),
    gtS: simd(0x3b),
    gtU: simd(0x3c),
    leS: simd(0x3d),
    leU: simd(0x3e),
    geS: simd(0x3f),
    geU: simd(0x40),
    abs: simd(0xa0),
    neg: simd(0xa1),
    /** The lanes' sign bits as the low 4 bits of an i32. */
    bitmask: simd(0xa4),
    add: simd(0xae),
    sub: simd(0xb1),
    mul: simd(0xb5),
    minS: simd(0xb6),
    minU: simd(0xb7),
    maxS: simd(0xb8),
    maxU: simd(0xb9),
    /** f32 lanes to i32 truncating, saturating, NaN to 0 (signed / unsigned). */
    truncSatF32x4S: simd(0xf8),
    truncSatF32x4U: simd(0xf9),
  },
} as const;

/**
 * `for (counter = start; counter < end; counter += step) body` with an unsigned comparison;
 * `counter` is a local index, `start` and `end` push i32 values, and `body` must not branch out.
 */
export function forLoop(
  counter: number,
  start: Code,
  end: Code,
  step: number,
  ...body: Code[]
): Code {
  return [
    start,
    op.set(counter),
    op.block(
      op.loop(
        op.get(counter),
        end,
        op.i32.geU,
        op.brIf(1),
        body,
        op.get(counter),
        op.i32.const(step),
        op.i32.add,
        op.set(counter),
        op.br(0),
      ),
    ),
  ];
}

/** Numbers names consecutively from `start`: the parameter and local indices of a function. */
export function numbered<const Names extends readonly string[]>(
  names: Names,
  start = 0,
): Record<Names[number], number> {
  return Object.fromEntries(names.map((name, k) => [name, start + k])) as Record<
    Names[number],
    number
  >;
}

/** `N` local indices: a tuple of `N` numbers where `N` is a literal, else `number[]`. */
export type Locals<N extends number, R extends number[] = []> = number extends N
  ? number[]
  : R["length"] extends N
    ? R
    : Locals<N, [...R, number]>;

/** The locals of a function being written: numbered after its parameters, in declaration order. */
export class Frame {
  private readonly types: ValueType[] = [];
  constructor(private readonly paramCount: number) {}
  /** Declares a local; returns its index. */
  local(type: ValueType): number {
    this.types.push(type);
    return this.paramCount + this.types.length - 1;
  }
  /** Declares `count` locals of one type; a tuple type where `count` is a literal, to destructure. */
  locals<N extends number>(type: ValueType, count: N): Locals<N> {
    return Array.from({ length: count }, () => this.local(type)) as Locals<N>;
  }
  /** The declared locals' types (`FunctionDefinition.locals`). */
  get declared(): readonly ValueType[] {
    return this.types;
  }
}

export interface FunctionDefinition {
  readonly name: string;
  readonly params: readonly ValueType[];
  /** Result types (default none). */
  readonly results?: readonly ValueType[];
  /** Extra locals, numbered after the params. */
  readonly locals: readonly ValueType[];
  readonly body: Code;
}

/** A function the module imports (such as `Math.exp`); imports are numbered before the module's own functions. */
export interface FunctionImport {
  readonly module: string;
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
}

export interface ModuleOptions {
  /** Pages (64 KiB) the module's own memory starts with (default 1); ignored with `importMemory`. */
  readonly initialPages?: number;
  /**
   * Import the memory as `env.memory` (created by the caller with `new WebAssembly.Memory`)
   * instead of defining one; the module then exports no memory. `{ shared: true, maximumPages }`
   * imports a shared memory (`new WebAssembly.Memory({ initial, maximum, shared: true })`, whose
   * maximum must equal `maximumPages`), for modules instantiated in several threads.
   */
  readonly importMemory?: boolean | { readonly shared: true; readonly maximumPages: number };
  /** Imported functions: function index k is `importFunctions[k]`, the module's own follow. */
  readonly importFunctions?: readonly FunctionImport[];
}

const functionType = (params: readonly ValueType[], results: readonly ValueType[]): number[] => [
  0x60,
  ...vector(params.map((p) => [VALUE_TYPE[p]])),
  ...vector(results.map((r) => [VALUE_TYPE[r]])),
];

/**
 * Assembles a module with the given functions (exported by name) and one memory: its own,
 * exported as `memory` and growable, or the caller's, imported as `env.memory`.
 */
export function assembleModule(
  functions: readonly FunctionDefinition[],
  options: ModuleOptions = {},
): Uint8Array<ArrayBuffer> {
  const imported = options.importMemory !== undefined && options.importMemory !== false;
  const sharedMemory = typeof options.importMemory === "object" ? options.importMemory : null;
  // limits: 0x00 min (any memory of at least `min` pages) or 0x03 min max (a shared memory)
  const memoryLimits = sharedMemory
    ? [0x03, 0x00, ...unsignedLeb(sharedMemory.maximumPages)]
    : [0x00, 0x00];
  const functionImports = options.importFunctions ?? [];
  const types = [
    ...functionImports.map((f) => functionType(f.params, f.results)),
    ...functions.map((f) => functionType(f.params, f.results ?? [])),
  ];
  const functionSection = vector(
    functions.map((_, index) => unsignedLeb(functionImports.length + index)),
  );
  const memory = vector([[0x00, ...unsignedLeb(options.initialPages ?? 1)]]);
  const imports = vector([
    ...functionImports.map((f, index) => [
      ...name(f.module),
      ...name(f.name),
      0x00,
      ...unsignedLeb(index),
    ]),
    ...(imported ? [[...name("env"), ...name("memory"), 0x02, ...memoryLimits]] : []),
  ]);
  const exports = vector([
    ...(imported ? [] : [[...name("memory"), 0x02, 0x00]]),
    ...functions.map((f, index) => [
      ...name(f.name),
      0x00,
      ...unsignedLeb(functionImports.length + index),
    ]),
  ]);
  const bodies = functions.map((f) => {
    const body = vector(f.locals.map((type) => [0x01, VALUE_TYPE[type]]));
    flatten(f.body, body);
    body.push(0x0b);
    const out = unsignedLeb(body.length);
    for (const byte of body) out.push(byte);
    return out;
  });
  const parts = [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    section(1, vector(types)),
    imported || functionImports.length > 0 ? section(2, imports) : [],
    section(3, functionSection),
    imported ? [] : section(5, memory),
    section(7, exports),
    section(10, vector(bodies)),
  ];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Whether this JavaScript engine runs WebAssembly with 128-bit SIMD. */
export function wasmSimdSupported(): boolean {
  try {
    const probe = assembleModule([
      { name: "probe", params: [], locals: [], body: [op.f32.const(1), op.f32x4.splat, [0x1a]] },
    ]);
    return (
      typeof WebAssembly === "object" && WebAssembly.validate(probe as Uint8Array<ArrayBuffer>)
    );
  } catch {
    return false;
  }
}
