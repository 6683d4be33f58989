import { describe, expect, it } from "vitest";
import * as wasm from "./wasm-assembler";

const { op, forLoop, numbered, assembleModule } = wasm;
const { get, set, i32, f32 } = op;

describe("wasm assembler", () => {
  it("assembles a module with its own memory, loops and SIMD that the engine runs", () => {
    expect(wasm.wasmSimdSupported()).toBe(true);
    // sum(n): adds floats 0..n-1 of memory, 4 lanes at a time, then stores the 4 lane sums at 0
    const p = numbered(["n"] as const);
    const l = numbered(["k", "acc"] as const, 1);
    const bytes = assembleModule([
      {
        name: "lanes",
        params: ["i32"],
        locals: ["i32", "v128"],
        body: [
          f32.const(0),
          op.f32x4.splat,
          set(l.acc),
          forLoop(
            l.k,
            i32.const(0),
            [get(p.n), i32.const(2), i32.shl],
            16,
            get(l.acc),
            get(l.k),
            op.v128.load(),
            op.f32x4.add,
            set(l.acc),
          ),
          i32.const(0),
          get(l.acc),
          op.v128.store(),
        ],
      },
    ]);
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    const memory = instance.exports.memory as WebAssembly.Memory;
    const floats = new Float32Array(memory.buffer, 0, 8);
    floats.set([1, 2, 3, 4, 10, 20, 30, 40]);
    (instance.exports.lanes as (n: number) => void)(8);
    expect(Array.from(floats.subarray(0, 4))).toEqual([11, 22, 33, 44]);
  });

  it("imports functions and a caller's memory, and returns results", () => {
    const bytes = assembleModule(
      [
        {
          name: "expOf",
          params: ["i32"],
          results: ["f32"],
          locals: [],
          body: [get(0), f32.load(), [0xbb], [0x10, 0], [0xb6]],
        },
      ],
      {
        importMemory: true,
        importFunctions: [{ module: "Math", name: "exp", params: ["f64"], results: ["f64"] }],
      },
    );
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
      env: { memory },
      Math: { exp: Math.exp },
    });
    expect(instance.exports.memory).toBeUndefined();
    new Float32Array(memory.buffer)[3] = 0.5;
    expect((instance.exports.expOf as (address: number) => number)(12)).toBe(
      Math.fround(Math.exp(0.5)),
    );
  });

  it("imports a shared memory, seen by every instance", () => {
    const bytes = assembleModule(
      [
        {
          name: "bump",
          params: [],
          locals: [],
          body: [i32.const(0), i32.const(0), i32.load(), i32.const(1), i32.add, i32.store()],
        },
      ],
      {
        importMemory: { shared: true, maximumPages: 4 },
      },
    );
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const module = new WebAssembly.Module(bytes);
    const a = new WebAssembly.Instance(module, { env: { memory } });
    const b = new WebAssembly.Instance(module, { env: { memory } });
    (a.exports.bump as () => void)();
    (b.exports.bump as () => void)();
    expect(new Int32Array(memory.buffer)[0]).toBe(2);
    // a shared import needs a shared memory with that maximum
    expect(
      () =>
        new WebAssembly.Instance(module, {
          env: { memory: new WebAssembly.Memory({ initial: 1 }) },
        }),
    ).toThrow();
  });
});
