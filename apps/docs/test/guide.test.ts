// The getting-started page's code (src/guide/), run in Node on the CPU backend: the code a new
// user copies must work and do what the page says.
import { cpuBackend } from "@snn/backend-cpu";
import { describe, expect, it } from "vitest";
import { firstNetwork } from "../src/guide/first-network";
import { firstTraining } from "../src/guide/first-training";
import { rasterOf } from "../src/guide/plot-spikes";
import { pickBackend } from "../src/guide/swap-backend";

describe("getting started", () => {
  it("the first network spikes, and its raster plot has a mark per spike", async () => {
    const spikes = await firstNetwork(cpuBackend());
    // 50 neurons for 1 s: active but far from firing every step
    expect(spikes.steps.length).toBeGreaterThan(50);
    expect(spikes.steps.length).toBeLessThan(50 * 1000 * 0.5);
    expect(Math.max(...spikes.neurons)).toBeLessThan(50);
    const svg = rasterOf(spikes);
    expect(svg).toContain(`data-spikes="${spikes.steps.length}"`);
    expect(svg.match(/h[\d.]+v/g)).toHaveLength(spikes.steps.length);
  });

  it("the first training learns the two-group task", async () => {
    const result = await firstTraining(cpuBackend());
    expect(result.losses).toHaveLength(20); // 5 epochs of 4 batches
    const first = result.losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const last = result.losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(last).toBeLessThan(first);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.checkpoint.byteLength).toBeGreaterThan(1000);
  });

  it("picks the CPU backend by name", async () => {
    expect((await pickBackend("cpu")).name).toBe("cpu");
  });
});
