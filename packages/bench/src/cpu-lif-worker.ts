/** Worker thread of the `cpu-lif` suite: measures one batch size in a fresh JavaScript engine. */
import { parentPort, workerData } from "node:worker_threads";
import { measureCpuLifCase, type CpuLifCaseSettings } from "./cpu-lif";

const port = parentPort;
if (!port) throw new Error("cpu-lif-worker runs as a worker thread of runCpuLifBenchmark");
const result = await measureCpuLifCase(workerData as CpuLifCaseSettings, (line) =>
  port.postMessage({ log: line }),
);
port.postMessage({ result });
