/**
 * Preloaded into the built `snn` by trace-thread.e2e.test.ts (NODE_OPTIONS=--require): on
 * SIGUSR2 it ends the real chunked e-prop trace worker thread, as a crash of that thread would.
 * Nothing in the product is replaced: the inspector (Node's debugging protocol, the way a
 * debugger reaches a thread) runs `process.exit(7)` inside the worker whose code defines the
 * trace loop (`start`), which ends that thread alone; its supervisor hears the exit as it would
 * hear any other death of the thread. Node's inspector lists every worker of the process, nested
 * ones included, to the main thread's session.
 */
const { isMainThread } = require("node:worker_threads");

if (isMainThread) {
  const inspector = require("node:inspector");
  const session = new inspector.Session();
  session.connect();
  const workers = new Set();
  session.on("NodeWorker.attachedToWorker", (m) => workers.add(m.params.sessionId));
  session.on("NodeWorker.detachedFromWorker", (m) => workers.delete(m.params.sessionId));
  session.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
  process.on("SIGUSR2", () => {
    const message = JSON.stringify({
      id: 1,
      method: "Runtime.evaluate",
      params: { expression: "typeof start === 'function' && process.exit(7)" },
    });
    for (const sessionId of workers)
      session.post("NodeWorker.sendMessageToWorker", { sessionId, message });
  });
}
