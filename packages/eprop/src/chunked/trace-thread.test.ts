import { wasm } from "@snn/core";
import { describe, expect, it } from "vitest";
import { JOB_KERNELS, KernelQueue, sharedMemory, TraceThreadError } from "./trace-thread";

const { op } = wasm;
const { get, i32 } = op;

/**
 * A module with the job kernels' names: `backward(address, value)` stores value at address,
 * `apply(address)` adds 1 to the int there, `sortSpikes()` traps, `advanceTraces()` does nothing.
 */
function testModule(shared: boolean): WebAssembly.Module {
  const definitions: wasm.FunctionDefinition[] = [
    { name: "backward", params: ["i32", "i32"], locals: [], body: [get(0), get(1), i32.store()] },
    { name: "apply", params: ["i32"], locals: [], body: [get(0), get(0), i32.load(), i32.const(1), i32.add, i32.store()] },
    { name: "sortSpikes", params: [], locals: [], body: [0x00 /* unreachable */] },
    { name: "advanceTraces", params: [], locals: [], body: [] },
  ];
  return new WebAssembly.Module(wasm.assembleModule(definitions, { importMemory: shared ? { shared: true, maximumPages: 16 } : true }));
}

function queue(threaded: boolean): { queue: KernelQueue; ints: () => Int32Array } {
  const memory = threaded ? sharedMemory(16)! : new WebAssembly.Memory({ initial: 1 });
  const module = testModule(threaded);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = Object.fromEntries(JOB_KERNELS.map((name) => [name, instance.exports[name]])) as never;
  return { queue: new KernelQueue(memory, module, kernels, threaded), ints: () => new Int32Array(memory.buffer) };
}

const threadsAvailable = sharedMemory(16) !== null;

describe("the trace job queue", () => {
  for (const threaded of threadsAvailable ? [true, false] : [false]) {
    it(`runs queued calls and copies in order, ${threaded ? "in a worker thread" : "inline"}`, () => {
      const { queue: q, ints } = queue(threaded);
      expect(q.threaded).toBe(threaded);
      for (let job = 0; job < 20; job++) {
        q.call("backward", 64, job);
        q.call("apply", 64);
        q.call("apply", 64);
        q.copy(128, 64, 4);
        const number = q.pendingJob;
        q.flush();
        q.waitFor(number);
        expect(ints()[16]).toBe(job + 2);
        expect(ints()[32]).toBe(job + 2);
      }
      q.dispose();
    });

    it(`reports a kernel that fails, ${threaded ? "in a worker thread" : "inline"}`, () => {
      const { queue: q } = queue(threaded);
      q.call("sortSpikes");
      if (threaded) expect(() => q.wait()).toThrow(TraceThreadError);
      else expect(() => q.wait()).toThrow(/unreachable/);
      // The queue is usable again afterwards.
      q.call("advanceTraces");
      q.wait();
      q.dispose();
    });
  }
});
