/**
 * Seeded, bounded fuzzing of checkpoint reading: bytes of a real checkpoint (a trained
 * network's parameters, Adam state and metadata, as `Trainer.saveCheckpoint` writes them) are
 * changed, cut or extended with a seeded generator, and every result must either decode or
 * fail with a CheckpointError, quickly. A few hundred cases by default; SNN_FUZZ_ITERATIONS
 * (and SNN_FUZZ_SEED) for longer runs. Cases that ever misbehaved are kept in REGRESSIONS.
 */
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { seededRandom } from "@snn/core";
import { CheckpointError, decodeCheckpoint, defineEpropNetwork, Trainer } from "./index";
import { patternTask } from "./test-support/tasks";

let cached: Promise<Uint8Array> | undefined;
/** The checkpoint every case starts from (trained once per file). */
function realCheckpoint(): Promise<Uint8Array> {
  cached ??= trainAndEncode();
  return cached;
}

async function trainAndEncode(): Promise<Uint8Array> {
  const network = defineEpropNetwork({
    input: { size: 6 },
    hidden: [{ name: "hidden", size: 5, neuron: "ALIF" }],
    readout: { size: 2 },
    seed: 3,
  });
  const trainer = new Trainer({
    network,
    backend: cpuBackend(),
    optimizer: { learningRate: 0.01 },
    numSteps: 12,
  });
  try {
    await trainer.train(
      patternTask({ numChannels: 6, numClasses: 2, numSteps: 12, examples: 8, seed: 4 }),
      { epochs: 1, batchSize: 4, shuffleSeed: 2 },
    );
    return await trainer.encodeCheckpoint();
  } finally {
    trainer.dispose();
  }
}

/** Replaces the JSON header of a safetensors file (the data stays). */
function withHeaderText(bytes: Uint8Array, edit: (header: string) => string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  let header = edit(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  header += " ".repeat((8 - (new TextEncoder().encode(header).length % 8)) % 8);
  const head = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + head.length + bytes.length - 8 - n);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 8);
  out.set(bytes.subarray(8 + n), 8 + head.length);
  return out;
}

/** Decodes within a time limit; anything but success or a CheckpointError fails the test. */
function exercise(bytes: Uint8Array, what: string): "decoded" | "refused" {
  const started = performance.now();
  let outcome: "decoded" | "refused";
  try {
    decodeCheckpoint(bytes);
    outcome = "decoded";
  } catch (error) {
    if (!(error instanceof CheckpointError))
      throw new Error(`${what}: failed with ${String(error)} instead of a CheckpointError`, {
        cause: error,
      });
    outcome = "refused";
  }
  const ms = performance.now() - started;
  if (ms > 2000) throw new Error(`${what}: took ${ms.toFixed(0)} ms`);
  return outcome;
}

/** Header edits that once loaded (wrong weights) or asked for unbounded work. */
const REGRESSIONS: readonly { readonly name: string; readonly edit: (header: string) => string }[] =
  [
    // Issue 18: shifted data_offsets loaded and ran with wrong weights.
    {
      name: "every offset shifted by 4 bytes",
      edit: (h) =>
        h.replace(
          /"data_offsets":\[(\d+),(\d+)\]/g,
          (_, a: string, b: string) => `"data_offsets":[${Number(a) + 4},${Number(b) + 4}]`,
        ),
    },
    {
      name: "a tensor overlapping its neighbour",
      // The first tensor not at byte 0 moves back 4 bytes, into the one before it.
      edit: (h) => {
        let done = false;
        return h.replace(/"data_offsets":\[(\d+),(\d+)\]/g, (whole, a: string, b: string) => {
          if (done || Number(a) === 0) return whole;
          done = true;
          return `"data_offsets":[${Number(a) - 4},${Number(b) - 4}]`;
        });
      },
    },
    // Issue 18: two tensors of one size with each other's data_offsets tile the data exactly,
    // so only the checksums in the metadata reveal them.
    {
      name: "two equal-size tensors with swapped data_offsets",
      edit: (h) => {
        const header = JSON.parse(h) as Record<string, { data_offsets?: [number, number] }>;
        const bySize = new Map<number, string>();
        for (const [name, entry] of Object.entries(header)) {
          if (entry.data_offsets === undefined) continue;
          const size = entry.data_offsets[1] - entry.data_offsets[0];
          const other = bySize.get(size);
          if (other !== undefined && size > 0) {
            const a = header[other]!;
            [a.data_offsets, entry.data_offsets] = [entry.data_offsets, a.data_offsets!];
            return JSON.stringify(header);
          }
          bySize.set(size, name);
        }
        throw new Error("the checkpoint has no two tensors of one size");
      },
    },
    // Issue 18: a checkpoint asking for trials of 10^9 steps ran forever.
    {
      name: "training.numSteps of 1e30",
      edit: (h) => h.replace(/\\"numSteps\\":12/, '\\"numSteps\\":1e30'),
    },
    {
      name: "training.numSteps of -5",
      edit: (h) => h.replace(/\\"numSteps\\":12/, '\\"numSteps\\":-5'),
    },
    {
      name: "training.numSteps a string",
      edit: (h) => h.replace(/\\"numSteps\\":12/, '\\"numSteps\\":\\"many\\"'),
    },
  ];

describe("checkpoint regression cases", () => {
  for (const { name, edit } of REGRESSIONS) {
    it(`${name} is refused`, async () => {
      const good = await realCheckpoint();
      const bad = withHeaderText(good, edit);
      expect(bad).not.toEqual(good);
      expect(exercise(bad, name)).toBe("refused");
    });
  }

  it("numSteps up to 2^31 - 1 is a valid setting; the CLI bounds what it runs", async () => {
    const good = await realCheckpoint();
    expect(decodeCheckpoint(good).training.numSteps).toBe(12);
    const big = withHeaderText(good, (h) =>
      h.replace(/\\"numSteps\\":12/, '\\"numSteps\\":1000000000'),
    );
    expect(decodeCheckpoint(big).training.numSteps).toBe(1e9);
  });
});

describe("checkpoint fuzzing (seeded)", () => {
  const iterations = Number(process.env["SNN_FUZZ_ITERATIONS"] ?? 300);
  const seed = Number(process.env["SNN_FUZZ_SEED"] ?? 18);

  it(`${iterations} damaged checkpoints (seed ${seed}) each decode or are refused with a CheckpointError`, async () => {
    const good = await realCheckpoint();
    expect(exercise(good, "the intact checkpoint")).toBe("decoded");
    const headerEnd = 8 + new DataView(good.buffer, good.byteOffset).getUint32(0, true);
    const random = seededRandom(seed);
    const int = (n: number): number => Math.floor(random.uniform() * n);
    const tally = { decoded: 0, refused: 0 };
    for (let i = 0; i < iterations; i++) {
      const kind = int(4);
      let bytes: Uint8Array;
      let what: string;
      if (kind === 3) {
        // Cut or extend the file.
        const length = Math.max(0, good.length + int(64) - 48);
        bytes = new Uint8Array(length);
        bytes.set(good.subarray(0, Math.min(length, good.length)));
        what = `length ${length}`;
      } else {
        bytes = good.slice();
        // Mostly in the header (where the structure is), sometimes anywhere.
        const changes: string[] = [];
        for (let c = 0, n = 1 + int(3); c < n; c++) {
          const offset = kind === 2 ? int(good.length) : int(headerEnd);
          const value = kind === 0 ? bytes[offset]! ^ (1 << int(8)) : int(256);
          bytes[offset] = value;
          changes.push(`${offset}=${value}`);
        }
        what = `bytes ${changes.join(",")}`;
      }
      tally[exercise(bytes, `case ${i} (seed ${seed}): ${what}`)]++;
    }
    expect(tally.decoded + tally.refused).toBe(iterations);
  });
});
