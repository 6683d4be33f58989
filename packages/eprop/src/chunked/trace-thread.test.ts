import { spawn } from "node:child_process";
import { wasm } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { KernelQueue, TraceThreadError, type WatchOptions } from "./trace-thread";
import { sharedMemory } from "./trace-thread-hosts";
import { JOB_KERNELS } from "./trace-thread-protocol";

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

/** Bytes: the word a held job of {@link holdModule} waits on; the two after it say it started and count finished jobs. */
const HELD = 256;

/**
 * A shared-memory module whose `apply()` sets the int at HELD + 8 to 1 (it has started), holds
 * until the int at HELD is non-zero (waiting in `memory.atomic.wait32`, as a long kernel would
 * run), then adds 1 to the int at HELD + 4; the other job kernels do nothing. (The addresses
 * are constants: V8 11.3's baseline compiler loses a parameter across `memory.atomic.wait32`
 * in a loop, and the kernel then never sees the release.)
 */
function holdModule(): WebAssembly.Module {
  const atomicLoad = [0xfe, 0x10, 0x02, 0x00]; // i32.atomic.load align=4 offset=0
  const wait32 = [0xfe, 0x01, 0x02, 0x00]; // memory.atomic.wait32 align=4 offset=0
  const atomicStore = [0xfe, 0x17, 0x02, 0x00]; // i32.atomic.store align=4 offset=0
  const definitions: wasm.FunctionDefinition[] = [
    {
      name: "apply",
      params: [],
      locals: [],
      body: [
        [i32.const(HELD + 8), i32.const(1), atomicStore],
        op.loop(
          [i32.const(HELD), atomicLoad, i32.eqz],
          op.if([
            i32.const(HELD),
            i32.const(0),
            [0x42, 0x7f] /* i64.const -1: no timeout */,
            wait32,
            0x1a /* drop */,
            op.br(1),
          ]),
        ),
        [i32.const(HELD + 4), i32.const(HELD + 4), i32.load(), i32.const(1), i32.add, i32.store()],
      ],
    },
    ...JOB_KERNELS.filter((name) => name !== "apply").map((name) => ({
      name,
      params: [],
      locals: [],
      body: [],
    })),
  ];
  return new WebAssembly.Module(
    wasm.assembleModule(definitions, { importMemory: { shared: true, maximumPages: 16 } }),
  );
}

function queue(
  threaded: boolean,
  options: { hold?: boolean; watch?: WatchOptions } = {},
): { queue: KernelQueue; ints: () => Int32Array } {
  const memory = threaded ? sharedMemory(16)! : new WebAssembly.Memory({ initial: 1 });
  const module = options.hold === true ? holdModule() : testModule(threaded);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const kernels = Object.fromEntries(
    JOB_KERNELS.map((name) => [name, instance.exports[name]]),
  ) as never;
  return {
    queue: new KernelQueue(memory, module, kernels, threaded, options.watch),
    ints: () => new Int32Array(memory.buffer),
  };
}

/** Lets a held `apply()` of {@link holdModule} finish. */
function release(ints: Int32Array): void {
  Atomics.store(ints, HELD / 4, 1);
  Atomics.notify(ints, HELD / 4);
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

/**
 * Starts a job of `apply()` of {@link holdModule} and returns once the worker runs it (a worker
 * takes a while to start on a loaded machine, and the watch counts that time too).
 */
function start(q: KernelQueue, ints: Int32Array): void {
  q.call("apply");
  q.flush();
  while (Atomics.load(ints, HELD / 4 + 2) === 0) Atomics.wait(ints, HELD / 4 + 2, 0, 5);
}

describe.runIf(threadsAvailable)("the watch over the trace worker", () => {
  it("waits out a suspension of the process: the jump of the clock is not a stall", () => {
    // The clock jumps by an hour across one wait, as it does when a suspended process resumes;
    // a limit on wall time (10 minutes before) would fail the healthy job.
    let offset = 0;
    let reads = 0;
    let ints: () => Int32Array = () => new Int32Array(0);
    const now = (): number => {
      reads++;
      if (reads === 4) offset += 3_600_000; // a second reading of one wait
      if (reads === 7) release(ints());
      return performance.now() + offset;
    };
    const made = queue(true, { hold: true, watch: { stallLimitMs: 5000, sliceMs: 20, now } });
    ints = made.ints;
    const q = made.queue;
    start(q, made.ints());
    q.wait();
    expect(reads).toBeGreaterThanOrEqual(7);
    expect(made.ints()[HELD / 4 + 1]).toBe(1);
    q.dispose();
  });

  it("fails a live worker that makes no progress for the awake stall limit", () => {
    const { queue: q, ints } = queue(true, {
      hold: true,
      watch: { stallLimitMs: 300, sliceMs: 20 },
    });
    start(q, ints());
    const begin = performance.now();
    expect(() => q.wait()).toThrow(/no progress on a chunk for 0 s.*traceThread: false/);
    expect(performance.now() - begin).toBeGreaterThanOrEqual(300);
    release(ints());
    q.dispose();
  });

  it("fails at once, with the exit code, when the worker dies in the middle of a job", () => {
    // The default stall limit (10 minutes) stays: only the worker's exit can end the wait.
    const { queue: q, ints } = queue(true, { hold: true });
    start(q, ints());
    q.killWorker();
    const begin = performance.now();
    expect(() => q.wait()).toThrow(TraceThreadError);
    expect(performance.now() - begin).toBeLessThan(10_000);
    // (Its name tells the CLI it is an error with a message for users, not an internal one.)
    expect(new TraceThreadError("x").name).toBe("TraceThreadError");
    // It stays failed (the job's work is lost), with the same clear message.
    expect(() => q.call("apply")).toThrow(/trace thread has stopped \(exit code \d+\).*lost/);
    expect(ints()[HELD / 4 + 1]).toBe(0);
    q.dispose();
  });

  it("survives a real suspension (SIGSTOP, then SIGCONT) longer than its stall limit", () => {
    // This test process is stopped for 7 s while it waits (a shell sends the signals), with a
    // stall limit of 4.5 s: a limit on wall time would fire on resuming. The job is let finish
    // once the clock shows the jump of the suspension.
    let ints: () => Int32Array = () => new Int32Array(0);
    let signaller: ReturnType<typeof spawn> | null = null;
    let last = 0;
    let resumed = false;
    const now = (): number => {
      const time = performance.now();
      if (signaller === null) {
        // Started from inside the wait, so that the stop comes while this thread waits.
        signaller = spawn(
          "sh",
          ["-c", `sleep 0.2; kill -STOP ${process.pid}; sleep 7; kill -CONT ${process.pid}`],
          { stdio: "ignore", detached: true },
        );
        signaller.unref();
      } else if (time - last > 5000) {
        resumed = true;
        release(ints());
      }
      last = time;
      return time;
    };
    const made = queue(true, { hold: true, watch: { stallLimitMs: 4500, sliceMs: 50, now } });
    ints = made.ints;
    const q = made.queue;
    start(q, made.ints());
    try {
      q.wait();
      expect(resumed).toBe(true);
      expect(made.ints()[HELD / 4 + 1]).toBe(1);
    } finally {
      release(made.ints());
      q.dispose();
    }
  });
});
