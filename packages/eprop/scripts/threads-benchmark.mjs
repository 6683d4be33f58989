// Times data-parallel training (`threads`) on the built packages: a 700 -> 256 ALIF -> 20
// network, batch 32, T = 500 steps of random input spikes (20 Hz), chunked e-prop on the CPU
// backend. Each setting trains one warm-up batch, then `--batches` timed batches.
//
//   pnpm --filter @snn/eprop run build && node packages/eprop/scripts/threads-benchmark.mjs [--batches 3] [--batch-size 32] [--only NAME]
import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom } from "@snn/core";
import { Trainer } from "@snn/eprop";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
};
const batches = Number(option("batches", "3"));
const only = option("only", undefined);
const batchSize = Number(option("batch-size", "32"));
const numSteps = 500;
const network = {
  input: { size: 700 },
  hidden: [{ name: "hidden", size: 256, neuron: "ALIF", recurrent: true }],
  readout: { size: 20 },
  seed: 1,
};

function dataset() {
  const random = seededRandom(3);
  const examples = Array.from({ length: batchSize * (batches + 1) }, (_, e) => {
    const steps = [];
    const units = [];
    for (let s = 0; s < numSteps; s++)
      for (let i = 0; i < 700; i++)
        if (random.uniform() < 0.02) {
          steps.push(s);
          units.push(i);
        }
    return { steps: Int32Array.from(steps), units: Int32Array.from(units), label: e % 20 };
  });
  return {
    numChannels: 700,
    numClasses: 20,
    async *batches({ batchSize: size }) {
      for (let first = 0; first < examples.length; first += size) {
        const part = examples.slice(first, first + size);
        yield {
          inputs: part.map(({ steps, units }) => ({ steps, units })),
          labels: Int32Array.from(part, (x) => x.label),
          numSteps,
        };
      }
    },
  };
}

const settings = [
  { name: "threads 1, whole batch", train: {} },
  {
    name: "threads 1, micro-batch of half the batch",
    train: { microBatchSize: Math.ceil(batchSize / 2) },
  },
  { name: "threads 2, no trace threads (default)", train: { threads: 2 } },
  {
    name: "threads 2, a trace thread per runtime",
    trainer: { traceThread: true },
    train: { threads: 2 },
  },
];
const data = dataset();
for (const setting of settings) {
  if (only !== undefined && !setting.name.includes(only)) continue;
  const trainer = new Trainer({ network, backend: cpuBackend(), ...setting.trainer });
  const times = [];
  // CPU time of the whole process (all its threads) over the timed batches.
  let cpuStart;
  await trainer.train(data, {
    epochs: 1,
    batchSize,
    ...setting.train,
    callbacks: {
      onBatchEnd: (m) => {
        times.push(m.seconds);
        if (m.batch === 0) cpuStart = process.cpuUsage();
      },
    },
  });
  const cpu = process.cpuUsage(cpuStart);
  trainer.dispose();
  const timed = times.slice(1);
  const mean = timed.reduce((a, b) => a + b, 0) / timed.length;
  const cpuPerBatch = (cpu.user + cpu.system) / 1e6 / timed.length;
  console.log(
    `${setting.name}: ${mean.toFixed(2)} s per batch (${timed.map((t) => t.toFixed(2)).join(", ")}; warm-up ${times[0].toFixed(2)}), CPU ${cpuPerBatch.toFixed(2)} s per batch (${(cpuPerBatch / mean).toFixed(2)} cores busy)`,
  );
}
