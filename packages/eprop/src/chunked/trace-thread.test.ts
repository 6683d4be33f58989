import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { JOB_KERNELS, KernelQueue, sharedMemory, TraceThreadError } from "./trace-thread";

const { op, Frame, forLoop } = wasm;
const { get, set, i32 } = op;

/** `for (i = start; i < end; i++) spin` without effects: a task that takes a while. */
function spin(counter: number, iterations: number): wasm.Code {
  return forLoop(counter, i32.const(0), i32.const(iterations), 1, []);
}

/**
 * A module with the job kernels' names: `backward(address, value)` stores value at address,
 * `apply(address)` adds 1 to the int there, `sortSpikes()` traps, `advanceTraces(address, count, out)`
 * stores the sum of the `count` ints from address at out, and `learningSignal(address, start, end)`
 * (a shared call's tasks) adds t + 1 to the int at address + 4 t for each task t in start .. end - 1,
 * after spinning a while.
 */
function testModule(shared: boolean): WebAssembly.Module {
  const sumFrame = new Frame(3);
  const k = sumFrame.local("i32"),
    sum = sumFrame.local("i32");
  const taskFrame = new Frame(3);
  const t = taskFrame.local("i32"),
    spinCounter = taskFrame.local("i32"),
    slot = taskFrame.local("i32");
  const definitions: wasm.FunctionDefinition[] = [
    { name: "backward", params: ["i32", "i32"], locals: [], body: [get(0), get(1), i32.store()] },
    {
      name: "apply",
      params: ["i32"],
      locals: [],
      body: [get(0), get(0), i32.load(), i32.const(1), i32.add, i32.store()],
    },
    { name: "sortSpikes", params: [], locals: [], body: [0x00 /* unreachable */] },
    {
      name: "advanceTraces",
      params: ["i32", "i32", "i32"],
      locals: sumFrame.declared,
      body: [
        [i32.const(0), set(sum)],
        forLoop(k, i32.const(0), get(1), 1, [
          get(sum),
          get(0),
          get(k),
          i32.const(2),
          i32.shl,
          i32.add,
          i32.load(),
          i32.add,
          set(sum),
        ]),
        [get(2), get(sum), i32.store()],
      ],
    },
    {
      name: "learningSignal",
      params: ["i32", "i32", "i32"],
      locals: taskFrame.declared,
      body: forLoop(
        t,
        get(1),
        get(2),
        1,
        spin(spinCounter, 200_000),
        [get(0), get(t), i32.const(2), i32.shl, i32.add, set(slot)],
        [get(slot), get(slot), i32.load(), get(t), i32.const(1), i32.add, i32.add, i32.store()],
      ),
    },
  ];
  return new WebAssembly.Module(
    wasm.assembleModule(definitions, {
      importMemory: shared ? { shared: true, maximumPages: 16 } : true,
    }),
  );
}

function queue(threaded: boolean): { queue: KernelQueue; ints: () => Int32Array } {
  const memory = threaded ? sharedMemory(16)! : new WebAssembly.Memory({ initial: 1 });
  const module = testModule(threaded);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = Object.fromEntries(
    JOB_KERNELS.map((name) => [name, instance.exports[name]]),
  ) as never;
  return {
    queue: new KernelQueue(memory, module, kernels, threaded),
    ints: () => new Int32Array(memory.buffer),
  };
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

    it(`shares a call's tasks out, each run once, before the calls after it, ${threaded ? "the worker and the waiting thread together" : "inline, in order"}`, () => {
      const { queue: q, ints } = queue(threaded);
      const tasks = 96;
      const base = 1024; // bytes
      for (let job = 0; job < 3; job++) {
        q.callShared("learningSignal", tasks, base);
        q.call("advanceTraces", base, tasks, 64);
        q.wait();
        const counts = ints().subarray(base / 4, base / 4 + tasks);
        // Every task ran exactly once per job: task t has added t + 1 on each of the job + 1 runs.
        expect(Array.from(counts)).toEqual(
          Array.from({ length: tasks }, (_, t) => (t + 1) * (job + 1)),
        );
        // The call after the shared one saw all its tasks done.
        expect(ints()[16]).toBe(((tasks * (tasks + 1)) / 2) * (job + 1));
      }
      // Waiting for the job, this thread took tasks of it (inline it runs them all itself).
      if (threaded) expect(q.tasksHelped).toBeGreaterThan(0);
      else expect(q.tasksHelped).toBe(0);
      q.dispose();
    });

    it(`reports a kernel that fails, ${threaded ? "in a worker thread" : "inline"}`, () => {
      const { queue: q } = queue(threaded);
      q.call("sortSpikes");
      if (threaded) expect(() => q.wait()).toThrow(TraceThreadError);
      else expect(() => q.wait()).toThrow(/unreachable/);
      if (threaded) {
        // the worker's own message comes through (the shared failure buffer)
        q.call("sortSpikes");
        expect(() => q.wait()).toThrow(/trace thread failed: RuntimeError: unreachable/);
      }
      // The queue is usable again afterwards.
      q.call("advanceTraces", 0, 0, 0);
      q.wait();
      q.dispose();
    });

    it(`reports a task of a shared call that fails, ${threaded ? "on either thread" : "inline"}, and stays usable`, () => {
      const { queue: q, ints } = queue(threaded);
      q.callShared("sortSpikes", 8);
      if (threaded) expect(() => q.wait()).toThrow(TraceThreadError);
      else expect(() => q.wait()).toThrow(/unreachable/);
      q.callShared("learningSignal", 4, 2048);
      q.wait();
      expect(Array.from(ints().subarray(512, 516))).toEqual([1, 2, 3, 4]);
      q.dispose();
    });
  }
});
