import { LIF, Network, planNetwork, StaticPulse } from "@snn/core";
import { describe, expect, it } from "vitest";
import { BufferLimitError } from "../errors";
import { generateWgsl } from "../generate-wgsl";
import { planStorage, type StorageRequest } from "./layout";
import { StorageRef } from "./storage";

/** Variable `name` of population 0. */
const ref = (name: string): StorageRef =>
  StorageRef.variable({ kind: "population", index: 0 }, "neuron", name);

const request = (
  name: string,
  arena: "f32" | "u32",
  length: number,
  batchCopies = 1,
): StorageRequest => ({
  ref: ref(name),
  label: `Variable '${name}'`,
  arena,
  length,
  batchCopies,
});

describe("planStorage", () => {
  it("packs regions of each arena into one buffer when they fit, 16-byte aligned", () => {
    const layout = planStorage(
      [request("a", "f32", 5), request("b", "f32", 3), request("c", "u32", 2)],
      1024,
    );
    expect(layout.chunks.f32).toEqual([48]);
    expect(layout.chunks.u32).toEqual([16]);
    expect(layout.allocation(ref("a"))).toMatchObject({ chunk: 0, offset: 0 });
    expect(layout.allocation(ref("b"))).toMatchObject({ chunk: 0, offset: 8 });
    expect(layout.allocation(ref("c"))).toMatchObject({ chunk: 0, offset: 0, arena: "u32" });
  });

  it("splits an arena into several buffers when it would exceed the binding limit", () => {
    // 64-byte limit = 16 elements per buffer.
    const layout = planStorage(
      [
        request("a", "f32", 10),
        request("b", "f32", 10),
        request("c", "f32", 4),
        request("d", "f32", 16),
      ],
      64,
    );
    expect(layout.chunks.f32.length).toBe(3);
    expect(layout.allocation(ref("a"))).toMatchObject({ chunk: 0, offset: 0 });
    expect(layout.allocation(ref("b"))).toMatchObject({ chunk: 1, offset: 0 });
    expect(layout.allocation(ref("c"))).toMatchObject({ chunk: 1, offset: 12 });
    expect(layout.allocation(ref("d"))).toMatchObject({ chunk: 2, offset: 0 });
    for (const bytes of layout.chunks.f32) expect(bytes).toBeLessThanOrEqual(64);
  });

  it("rejects a single region above the limit, naming it, its size, the limit and the largest batch that fits", () => {
    const attempt = (): unknown => planStorage([request("V", "f32", 40, 4)], 64);
    expect(attempt).toThrow(BufferLimitError);
    expect(attempt).toThrow(
      /Variable 'V' needs 160 B \(160 bytes\), more than one buffer binding holds here, 64 B \(64 bytes: the device's maxStorageBufferBindingSize, or the maxBufferBindingBytes option where set lower\), by 96 B/,
    );
    expect(attempt).toThrow(/batch size of at most 1 \(now 4\)/);
  });

  it("says to shrink the network when even one batch element does not fit", () => {
    expect(() => planStorage([request("g", "f32", 100)], 64)).toThrow(/fewer neurons or synapses/);
    expect(() => planStorage([request("g", "f32", 40, 2)], 64)).toThrow(
      /Even one batch element \(20 elements\) is too large/,
    );
  });
});

describe("buffer limits of a network", () => {
  it("fails at compile time with the projection, its bytes and the limit when a dense weight matrix is too large", () => {
    const net = new Network();
    net.addPopulation("a", { model: LIF, size: 6000 });
    net.addPopulation("b", { model: LIF, size: 6000 });
    net.addProjection("a_b", {
      pre: "a",
      post: "b",
      model: StaticPulse,
      connectivity: { kind: "dense" },
      init: { g: 0.1 },
    });
    const attempt = (): unknown => generateWgsl(planNetwork(net));
    expect(attempt).toThrow(BufferLimitError);
    expect(attempt).toThrow(
      /Variable 'g' of projection 'a_b' \(36000000 elements\) needs 137\.3 MiB \(144000000 bytes\), more than one buffer binding holds here, 128\.0 MiB/,
    );
    expect(attempt).toThrow(/sparse connectivity/);
  });

  it("names the batch size to use when a batched variable is too large", () => {
    const net = new Network({ batchSize: 64 });
    net.addPopulation("big", { model: LIF, size: 1_000_000 });
    expect(() => generateWgsl(planNetwork(net))).toThrow(
      /Variable 'V' of population 'big' \(batch 64 x 1000000 elements\).*Use a batch size of at most 33 \(now 64\)/,
    );
  });
});

describe("storage references", () => {
  it("finds a region by an equal reference built anew, and tells references apart by every field", () => {
    const owner = { kind: "projection" as const, index: 1 };
    const layout = planStorage(
      [
        {
          ref: StorageRef.variable(owner, "pre", "x"),
          label: "a",
          arena: "f32",
          length: 3,
          batchCopies: 1,
        },
        {
          ref: StorageRef.variable(owner, "post", "x"),
          label: "b",
          arena: "f32",
          length: 2,
          batchCopies: 1,
        },
        {
          ref: StorageRef.sparse(1, "colPre"),
          label: "c",
          arena: "u32",
          length: 2,
          batchCopies: 1,
        },
      ],
      1024,
    );
    expect(
      layout.allocation({
        kind: "var",
        owner: { kind: "projection", index: 1 },
        role: "post",
        name: "x",
      }),
    ).toMatchObject({ label: "b", offset: 4 });
    expect(layout.allocation(StorageRef.sparse(1, "colPre"))).toMatchObject({ label: "c" });
    expect(() => layout.allocation(StorageRef.sparse(1, "colStart"))).toThrow(/no storage/);
    expect(() =>
      planStorage(
        [
          { ref: StorageRef.inSyn(0), label: "a", arena: "f32", length: 1, batchCopies: 1 },
          { ref: StorageRef.inSyn(0), label: "b", arena: "f32", length: 1, batchCopies: 1 },
        ],
        1024,
      ),
    ).toThrow(/requested twice/);
  });
});
