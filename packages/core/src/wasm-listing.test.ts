import { describe, expect, it } from "vitest";
import { op, type Code } from "./wasm-assembler";
import { listFunctions } from "./wasm-listing";

const { get, set, i32, f32 } = op;

/** The body lines of a one-function listing, without the header comments. */
function bodyLines(body: Code): string[] {
  const [listing] = listFunctions([{ name: "f", params: ["i32"], locals: ["f32"], body }]);
  return listing!.split("\n").slice(5, -2);
}

describe("wasm listing", () => {
  it("lists a function with its header, nested blocks, immediates and named calls", () => {
    const [listing] = listFunctions(
      [
        {
          name: "kernel",
          params: ["i32", "i32"],
          results: ["f32"],
          locals: ["f32", "v128"],
          body: [
            op.block(
              op.loop(get(0), i32.const(-3), i32.add, op.tee(0), op.brIf(1), op.br(0)),
              get(1),
              op.if([f32.const(-Infinity), set(2)]),
            ),
            op.v128.constI32([0, -1, 1, 0x7fffffff]),
            op.v128.load(16),
            op.f32x4.extractLane(3),
            op.i32.truncSatF32S,
            op.f64.const(0.1),
            op.f32.demoteF64,
            op.call(1),
            op.call(2),
            op.i64.const(-(2n ** 40n)),
            op.i32.wrapI64,
            op.ifElse("f32", f32.const(1), f32.const(Number.NaN)),
          ],
        },
      ],
      [{ module: "Math", name: "exp", params: ["f64"], results: ["f64"] }],
    );
    expect(listing).toBe(
      [
        ";; function 1: kernel",
        ";; params: 0: i32, 1: i32",
        ";; results: f32",
        ";; locals: 2: f32, 3: v128",
        "func kernel",
        "  block",
        "    loop",
        "      local.get 0",
        "      i32.const -3",
        "      i32.add",
        "      local.tee 0",
        "      br_if 1",
        "      br 0",
        "    end",
        "    local.get 1",
        "    if",
        "      f32.const -inf",
        "      local.set 2",
        "    end",
        "  end",
        "  v128.const i32x4 0x00000000 0xffffffff 0x00000001 0x7fffffff",
        "  v128.load offset=16 align=16",
        "  f32x4.extract_lane 3",
        "  i32.trunc_sat_f32_s",
        "  f64.const 0.1",
        "  f32.demote_f64",
        "  call 1 ;; kernel",
        "  call 2",
        "  i64.const -1099511627776",
        "  i32.wrap_i64",
        "  if (result f32)",
        "    f32.const 1",
        "  else",
        "    f32.const nan:0x7fc00000",
        "  end",
        "end",
        "",
      ].join("\n"),
    );
  });

  it("names every instruction of the assembler without immediates, each differently", () => {
    const names: string[] = [];
    for (const [group, entry] of Object.entries(op)) {
      const isGroup = typeof entry === "object" && !Array.isArray(entry);
      const encoders = isGroup ? Object.values(entry) : [entry];
      for (const encoder of encoders) {
        if (typeof encoder === "function") continue;
        const lines = bodyLines(encoder as Code);
        expect(lines, group).toHaveLength(1);
        names.push(lines[0]!.trim());
      }
    }
    expect(names.length).toBeGreaterThan(100);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("select");
    expect(names).toContain("v128.andnot");
    expect(names).toContain("f32x4.convert_i32x4_u");
    expect(names).toContain("i32x4.trunc_sat_f32x4_s");
    expect(names).toContain("i64.extend_i32_u");
  });

  it("lists the load and store offsets and an f32 constant's shortest decimal", () => {
    expect(bodyLines([get(0), f32.const(0.1), op.f32.store(8)])).toEqual([
      "  local.get 0",
      "  f32.const 0.10000000149011612",
      "  f32.store offset=8 align=4",
    ]);
  });

  it("refuses code it cannot decode, saying where", () => {
    expect(() => bodyLines([get(0), 0x1a])).toThrow(/unknown instruction 0x1a at byte 2/);
    expect(() => bodyLines([0xfd, 0x7f])).toThrow(/unknown instruction 0xfd:0x7f at byte 0/);
    expect(() => bodyLines([0x02, 0x40])).toThrow(/ends inside a block/);
    expect(() => bodyLines([0x0b])).toThrow(/'end' without a block/);
    expect(() => bodyLines([0x41])).toThrow(/ends inside an instruction/);
  });
});
