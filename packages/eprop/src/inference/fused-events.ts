/**
 * The input events' layout for fused inference (fused-kernel.ts) as a WebAssembly function: one
 * batch element's events, copied into the kernel's memory as they come (`steps` ascending,
 * `units`), written out as per-step starts and the step's units, in the kernel's input event
 * area. A trial of batch 128 holds about 250,000 events; set out in JavaScript they took about
 * 5 % of a trial.
 *
 * It handles the common case, each step's units already ascending and without duplicates (what
 * `prepareTrial` gives for binned spike times); where they are not, it answers -1 and the caller
 * sets that element out itself (sorting each step's units and dropping duplicates).
 */
import { wasm } from "@snn/core/internal";

const { op } = wasm;
const { get, set, i32 } = op;

const PARAMS = ["starts", "steps", "units", "count", "numSteps", "out", "at"] as const;

/**
 * `layoutEvents(starts, steps, units, count, numSteps, out, at) -> at'`: the `count` events at
 * byte addresses `steps` and `units` (i32 each), those of steps below `numSteps`, appended to the
 * i32 units at byte address `out` from index `at`; the index each step `s` starts at into
 * `starts[s]` (i32, `numSteps + 1` of them, the last one the end). Returns the index after the
 * last unit, or -1 where a step's units are not strictly ascending (then the area is undefined).
 */
export function layoutEventsFunction(): wasm.FunctionDefinition {
  const p = wasm.numbered(PARAMS);
  const frame = new wasm.Frame(PARAMS.length);
  const [k, s, step] = frame.locals("i32", 3);
  const at = p.at;
  /** `i32` at byte address `base + 4 index`. */
  const element = (base: number, index: wasm.Code): wasm.Code => [
    get(base),
    index,
    i32.const(2),
    i32.shl,
    i32.add,
  ];
  const startAt = (): wasm.Code => [element(p.starts, get(s!)), get(at), i32.store()];
  const body: wasm.Code = [
    i32.const(0),
    set(s!),
    op.block(
      wasm.forLoop(k!, i32.const(0), get(p.count), 1, [
        element(p.steps, get(k!)),
        i32.load(),
        set(step!),
        // past the trial: done (depth 2: out of the loop's block)
        get(step!),
        get(p.numSteps),
        i32.geS,
        op.brIf(2),
        get(step!),
        get(s!),
        i32.geS,
        op.if(
          // the step's first event: the starts of the steps up to it
          wasm.forLoop(s!, get(s!), [get(step!), i32.const(1), i32.add], 1, startAt()),
          // a later event of the step: its unit must be above the last one, else give up
          [
            element(p.units, get(k!)),
            i32.load(),
            element(p.out, [get(at), i32.const(1), i32.sub]),
            i32.load(),
            i32.leS,
            op.if([i32.const(-1), set(at), op.br(4)]),
          ],
        ),
        element(p.out, get(at)),
        element(p.units, get(k!)),
        i32.load(),
        i32.store(),
        get(at),
        i32.const(1),
        i32.add,
        set(at),
      ]),
    ),
    // the starts of the steps after the last event, and the end
    get(at),
    i32.const(0),
    i32.geS,
    op.if(wasm.forLoop(s!, get(s!), [get(p.numSteps), i32.const(1), i32.add], 1, startAt())),
    get(at),
  ];
  return {
    name: "layoutEvents",
    params: PARAMS.map(() => "i32" as const),
    results: ["i32"],
    locals: frame.declared,
    body,
  };
}
