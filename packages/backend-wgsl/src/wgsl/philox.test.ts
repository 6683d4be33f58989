import { normalFromBlock, philox4x32, RNG_KEY_HI, seededRandom, uniformFromBlock } from "@snn/core";
import { mulHi32 } from "@snn/core/internal";
import { describe, expect, it } from "vitest";
import { compileModule } from "../runtime/shaders";
import { BufferUsage, MapMode } from "../runtime/gpu";
import { testGpu } from "../../test-support/gpu";
import { PHILOX_WGSL, RNG_WGSL } from "./philox";

const gpu = await testGpu();
const SEED = 0xc0ffee;

const KERNEL = `
const RNG_SEED: u32 = ${SEED}u;
${PHILOX_WGSL}
${RNG_WGSL}

struct Item {
  counter: vec4<u32>,
  key: vec2<u32>,
  call: vec2<u32>,
}

@group(0) @binding(0) var<storage, read> items: array<Item>;
@group(0) @binding(1) var<storage, read_write> blocks: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> products: array<u32>;
@group(0) @binding(3) var<storage, read_write> uniforms: array<f32>;
@group(0) @binding(4) var<storage, read_write> normals: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&items)) {
    return;
  }
  let item = items[i];
  blocks[i] = philox4x32(item.counter, item.key);
  products[i] = mulhi32(item.counter.x, item.counter.y);
  // A snippet's draw: element, batch, step, stream, field, calls made so far.
  var rng = Rng(item.counter.x, item.counter.y, item.counter.z, item.counter.w & 0xffffu, item.call.x, item.call.y);
  uniforms[i] = rng_uniform(&rng);
  var again = Rng(item.counter.x, item.counter.y, item.counter.z, item.counter.w & 0xffffu, item.call.x, item.call.y);
  normals[i] = rng_normal(&again);
}
`;

/** Counters with edge values (0, 1, 2^31, 2^32-1) and seeded random ones. */
function makeItems(count: number): Uint32Array<ArrayBuffer> {
  const random = seededRandom(7);
  const edges = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
  const words = new Uint32Array(count * 8);
  for (let i = 0; i < count; i++) {
    for (let w = 0; w < 6; w++) {
      words[i * 8 + w] =
        i < 6 * 6
          ? edges[(i + w * Math.floor(i / 6)) % edges.length]!
          : Math.floor(random.uniform() * 4294967296) >>> 0;
    }
    words[i * 8 + 6] = i % 8; // field
    words[i * 8 + 7] = i % 40; // calls so far (wraps at 32 like the CPU backend)
  }
  return words;
}

async function run(
  device: GPUDevice,
  items: Uint32Array<ArrayBuffer>,
): Promise<{
  blocks: Uint32Array;
  products: Uint32Array;
  uniforms: Float32Array;
  normals: Float32Array;
}> {
  const count = items.length / 8;
  const module = await compileModule(device, "philox test", KERNEL, []);
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const input = device.createBuffer({
    size: items.byteLength,
    usage: BufferUsage.STORAGE | BufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(input, 0, items);
  const sizes = [count * 16, count * 4, count * 4, count * 4];
  const outputs = sizes.map((size) =>
    device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC }),
  );
  const staging = sizes.map((size) =>
    device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST }),
  );
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [input, ...outputs].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(count / 64));
  pass.end();
  outputs.forEach((buffer, i) => encoder.copyBufferToBuffer(buffer, 0, staging[i]!, 0, sizes[i]!));
  device.queue.submit([encoder.finish()]);
  const data = await Promise.all(
    staging.map(async (buffer) => {
      await buffer.mapAsync(MapMode.READ);
      const copy = buffer.getMappedRange().slice(0);
      buffer.unmap();
      return copy;
    }),
  );
  return {
    blocks: new Uint32Array(data[0]!),
    products: new Uint32Array(data[1]!),
    uniforms: new Float32Array(data[2]!),
    normals: new Float32Array(data[3]!),
  };
}

describe.skipIf(gpu.skipReason !== null)("Philox4x32-10 in WGSL", () => {
  const count = 4096;
  const items = makeItems(count);
  const results =
    gpu.skipReason === null ? gpu.backend.device().then((device) => run(device, items)) : null;

  it("gives the same 128-bit blocks as @snn/core's philox4x32 for every counter and key", async () => {
    const { blocks } = (await results)!;
    const expected = new Uint32Array(4);
    let mismatches = 0;
    for (let i = 0; i < count; i++) {
      const w = items.subarray(i * 8, i * 8 + 6);
      philox4x32(w[0]!, w[1]!, w[2]!, w[3]!, w[4]!, w[5]!, expected);
      for (let k = 0; k < 4; k++) if (blocks[i * 4 + k] !== expected[k]) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("computes the high word of 32x32-bit products (16-bit halves) exactly", async () => {
    const { products } = (await results)!;
    for (let i = 0; i < count; i++) {
      const a = items[i * 8]!;
      const b = items[i * 8 + 1]!;
      expect(products[i], `mulhi(${a}, ${b})`).toBe(mulHi32(a, b));
      expect(products[i]).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });

  it("draws the same uniform() bit for bit as the CPU's stream (counter layout of decision 0001)", async () => {
    const { uniforms } = (await results)!;
    const block = new Uint32Array(4);
    for (let i = 0; i < count; i++) {
      const w = items.subarray(i * 8, i * 8 + 8);
      const stream = w[3]! & 0xffff;
      const word = ((stream << 8) | (w[6]! << 5) | (w[7]! & 31)) >>> 0;
      philox4x32(w[0]!, w[1]!, w[2]!, word, SEED, RNG_KEY_HI, block);
      expect(uniforms[i]).toBe(Math.fround(uniformFromBlock(block[0]!)));
    }
  });

  it("draws normal() within f32 precision of the CPU's Box-Muller", async () => {
    const { normals } = (await results)!;
    const block = new Uint32Array(4);
    let worst = 0;
    for (let i = 0; i < count; i++) {
      const w = items.subarray(i * 8, i * 8 + 8);
      const word = (((w[3]! & 0xffff) << 8) | (w[6]! << 5) | (w[7]! & 31)) >>> 0;
      philox4x32(w[0]!, w[1]!, w[2]!, word, SEED, RNG_KEY_HI, block);
      const expected = normalFromBlock(block[0]!, block[1]!);
      worst = Math.max(worst, Math.abs(normals[i]! - expected) / Math.max(1, Math.abs(expected)));
    }
    expect(worst).toBeLessThan(1e-5);
  });
});
