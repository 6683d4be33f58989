/// <reference types="@webgpu/types" />
/**
 * The device buffers and kernel dispatches of chunked e-prop on the device
 * (device-eligibility.ts): the K-step histories the step hook records into, each hidden layer's
 * and projection's buffers, and the chunk's dispatches in the order they run.
 */
import type { DeviceAccess, DeviceBufferUse, DeviceKernel, DeviceVarStorage } from "@snn/core";
import type { EpropNetworkDescription } from "../description";
import { outputsOf, recordShader, WORKGROUP } from "./wgsl-kernels";
import { advanceShader, backwardShader, totalsShader } from "./wgsl-layer-kernels";
import { applyShader, compactShader } from "./wgsl-projection-kernels";
import { biasShader, readoutShader, readoutWeightsShader } from "./wgsl-readout-kernels";
import type { WgslKernel } from "./wgsl-bindings";
import type { Shapes, WebGpuTypes } from "./device-shapes";

/** A dispatch of a kernel over a bind group. */
export interface Dispatch {
  readonly kernel: DeviceKernel<WebGpuTypes>;
  bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number];
}

export interface LayerBuffers {
  readonly name: string;
  readonly size: number;
  readonly psiHistory: GPUBuffer;
  readonly neurons: GPUBuffer;
  readonly zbar: GPUBuffer;
  readonly alphaPowers: GPUBuffer;
}

/** A dispatch of the step hook (it records a variable into a history). */
export interface RecordDispatch {
  readonly kernel: DeviceKernel<WebGpuTypes>;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: [number, number];
}

/** Everything a chunk runs with, made by {@link chunkResources}. */
export interface ChunkResources {
  /** The chunk's header: its first step, steps, flags, parity and the bias trace. */
  readonly chunkUniform: GPUBuffer;
  /** The loss mask (replaced by a larger one when a trial needs it; see `rebindReadout`). */
  readonly mask: GPUBuffer;
  readonly targets: GPUBuffer;
  readonly sums: GPUBuffer;
  readonly layers: LayerBuffers[];
  /** Dispatches of a chunk, in order; `bias` after the last chunk. */
  readonly chunkDispatches: Dispatch[];
  readonly bias: Dispatch;
  /** The readout dispatch (its bind group holds the mask). */
  readonly readout: Dispatch;
  readonly rebindReadout: (mask: GPUBuffer) => GPUBindGroup;
  /** Dispatches reading the input's spike events, with how to rebind them to a new buffer. */
  readonly inputDispatches: { dispatch: Dispatch; rebind: (events: GPUBuffer) => GPUBindGroup }[];
  /** Each projection's spike lists (their first `rows` words: the rows' counts and dense flags). */
  readonly spikeLists: {
    readonly name: string;
    readonly buffer: GPUBuffer;
    readonly rows: number;
  }[];
  /** Gradient variables zeroed at the start of a trial. */
  readonly gradientVars: DeviceVarStorage<WebGpuTypes>[];
  /** The step hook's dispatches. */
  readonly records: RecordDispatch[];
}

/**
 * Makes the buffers (with `buffer`, which may throw when one is too large) and the bind groups
 * of every dispatch of the evaluation, for the compiled `kernels` (by WGSL code) of `shapes`.
 */
export function chunkResources(
  access: DeviceAccess<WebGpuTypes>,
  description: EpropNetworkDescription,
  batchSize: number,
  chunkSteps: number,
  kappa: number,
  kernels: Map<string, DeviceKernel<WebGpuTypes>>,
  shapes: Shapes,
  buffer: (label: string, bytes: number, use?: DeviceBufferUse) => GPUBuffer,
): ChunkResources {
  const device = access.device;
  const B = batchSize;
  const K = chunkSteps;
  const readout = description.readout;
  const nOut = readout.size;
  const kernel = (shader: WgslKernel): DeviceKernel<WebGpuTypes> => kernels.get(shader.code)!;
  const layers: LayerBuffers[] = [];
  const chunkDispatches: Dispatch[] = [];
  const inputDispatches: ChunkResources["inputDispatches"] = [];
  const spikeLists: ChunkResources["spikeLists"] = [];
  const gradientVars: DeviceVarStorage<WebGpuTypes>[] = [];

  const chunkUniform = buffer("chunk", 32, "uniform");
  const yHistory = buffer("readout history", K * B * nOut * 4);
  const mask = buffer("loss mask", 16);
  const targets = buffer("targets", B * nOut * 4);
  const errors = buffer("errors", B * K * nOut * 4);
  const sums = buffer("readout sums", 4 * B * nOut * 4);

  const bind = (
    k: DeviceKernel<WebGpuTypes>,
    label: string,
    resources: readonly GPUBuffer[],
  ): GPUBindGroup =>
    device.createBindGroup({
      label,
      layout: k.layout,
      entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  const groupsFor = (threads: number): [number, number] => {
    const groups = Math.ceil(threads / WORKGROUP);
    const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
    return [x, Math.ceil(groups / x)];
  };

  // Step hook: record PsiSpike of every hidden layer and Y into the histories.
  const records: {
    kernel: DeviceKernel<WebGpuTypes>;
    bindGroup: GPUBindGroup;
    workgroups: [number, number];
  }[] = [];
  const recordKernel = kernel(recordShader());
  const addRecord = (
    variable: DeviceVarStorage<WebGpuTypes>,
    history: GPUBuffer,
    rowBase: number,
    label: string,
  ): void => {
    const uniform = buffer(`record ${label}`, 16, "uniform");
    device.queue.writeBuffer(
      uniform,
      0,
      new Uint32Array([variable.offset, variable.length, rowBase, K]),
    );
    records.push({
      kernel: recordKernel,
      bindGroup: bind(recordKernel, `record ${label}`, [
        uniform,
        access.clock,
        variable.buffer,
        history,
      ]),
      workgroups: groupsFor(variable.length),
    });
  };

  const readoutKernel = kernel(readoutShader(shapes.readout));
  const rebindReadout = (maskBuffer: GPUBuffer): GPUBindGroup =>
    bind(readoutKernel, "readout", [chunkUniform, yHistory, maskBuffer, targets, errors, sums]);
  const readoutDispatch: Dispatch = {
    kernel: readoutKernel,
    bindGroup: rebindReadout(mask),
    workgroups: groupsFor(B),
  };
  chunkDispatches.push(readoutDispatch);
  addRecord(access.varStorage(readout.name, "Y"), yHistory, 0, readout.name);

  // Every layer's buffers first: projections between hidden layers read the pre layer's history.
  for (const layer of shapes.layers) {
    const n = layer.size;
    const buffers: LayerBuffers = {
      name: layer.name,
      size: n,
      psiHistory: buffer(`${layer.name} PsiSpike history`, (K + 1) * B * n * 4),
      neurons: buffer(`${layer.name} rate and beta`, (B * n + n) * 4),
      zbar: buffer(`${layer.name} readout trace`, B * n * 4),
      alphaPowers: buffer(`${layer.name} alpha powers`, (K + 1) * 4),
    };
    layers.push(buffers);
    const hidden = description.hidden.find((h) => h.name === layer.name)!;
    device.queue.writeBuffer(buffers.neurons, B * n * 4, Float32Array.from(hidden.beta));
    device.queue.writeBuffer(
      buffers.alphaPowers,
      0,
      Float32Array.from({ length: K + 1 }, (_, u) => layer.shape.alpha ** u),
    );
    addRecord(access.varStorage(layer.name, "PsiSpike"), buffers.psiHistory, 1, layer.name);
  }
  const advances: Dispatch[] = [];
  shapes.layers.forEach((layer, index) => {
    const n = layer.size;
    const outputs = outputsOf(layer.shape.adaptive);
    const buffers = layers[index]!;
    const signals = buffer(`${layer.name} learning signal and regulariser`, 2 * K * B * n * 4);
    const coefficients = buffer(`${layer.name} spike coefficients`, B * K * outputs * n * 4);
    const totals = buffer(`${layer.name} coefficient totals`, B * outputs * n * 4);
    const carried = buffer(`${layer.name} carried-in coefficients`, B * 8 * n * 4);
    if (layer.readoutGradient) {
      const k = kernel(
        readoutWeightsShader({ ...layer.shape, offset: layer.readoutGradient.offset }),
      );
      chunkDispatches.push({
        kernel: k,
        bindGroup: bind(k, `${layer.name} readout gradient`, [
          chunkUniform,
          buffers.psiHistory,
          errors,
          buffers.zbar,
          layer.readoutGradient.buffer,
        ]),
        workgroups: groupsFor(n * nOut),
      });
      gradientVars.push(layer.readoutGradient);
    }
    const backward = kernel(
      backwardShader({ ...layer.shape, feedbackOffset: layer.feedback?.offset ?? null }),
    );
    chunkDispatches.push({
      kernel: backward,
      bindGroup: bind(backward, `${layer.name} backward`, [
        chunkUniform,
        buffers.psiHistory,
        errors,
        layer.feedback?.buffer ?? errors,
        signals,
        buffers.neurons,
        coefficients,
        carried,
      ]),
      workgroups: groupsFor(B * n),
    });
    const totalsKernel = kernel(
      totalsShader({ batchSize: B, n, K, adaptive: layer.shape.adaptive }),
    );
    chunkDispatches.push({
      kernel: totalsKernel,
      bindGroup: bind(totalsKernel, `${layer.name} coefficient totals`, [
        chunkUniform,
        coefficients,
        totals,
      ]),
      workgroups: groupsFor(B * n),
    });
    for (const projection of layer.projections) {
      const numPre = projection.shape.numPre;
      // denseRows reads the rows' counts back.
      const lists = buffer(`${projection.name} spike lists`, B * numPre * (K + 1) * 4);
      spikeLists.push({ name: projection.name, buffer: lists, rows: B * numPre });
      const traces = buffer(`${projection.name} presynaptic traces`, 2 * B * numPre * 4);
      const state = buffer(
        `${projection.name} carried state`,
        (layer.shape.adaptive ? 2 : 1) * B * numPre * n * 4,
      );
      const compact = kernel(compactShader(projection.shape));
      const source =
        projection.preLayer === null ? null : layers.find((l) => l.name === projection.preLayer)!;
      const compactGroup = (spikes: GPUBuffer): GPUBindGroup =>
        bind(compact, `${projection.name} compact`, [
          chunkUniform,
          spikes,
          buffers.alphaPowers,
          lists,
          traces,
        ]);
      const compactDispatch: Dispatch = {
        kernel: compact,
        bindGroup: compactGroup(source?.psiHistory ?? errors),
        workgroups: groupsFor(B * numPre),
      };
      if (source === null)
        inputDispatches.push({ dispatch: compactDispatch, rebind: compactGroup });
      chunkDispatches.push(compactDispatch);
      const apply = kernel(
        applyShader({ ...projection.shape, offset: projection.gradient.offset }),
      );
      chunkDispatches.push({
        kernel: apply,
        bindGroup: bind(apply, `${projection.name} apply`, [
          chunkUniform,
          lists,
          coefficients,
          carried,
          traces,
          state,
          projection.gradient.buffer,
          totals,
        ]),
        workgroups: [Math.ceil(n / WORKGROUP), numPre],
      });
      gradientVars.push(projection.gradient);
    }
    const advance = kernel(
      advanceShader({
        batchSize: B,
        n,
        kappa: kappa,
        readout: layer.readoutGradient !== null,
      }),
    );
    advances.push({
      kernel: advance,
      bindGroup: bind(advance, `${layer.name} advance`, [
        chunkUniform,
        buffers.psiHistory,
        buffers.zbar,
      ]),
      workgroups: groupsFor(B * n),
    });
  });
  // Last: every compaction has read row 0 of its source before a layer moves its last row there.
  chunkDispatches.push(...advances);
  const biasVar = access.varStorage(readout.name, "BiasGradSum");
  gradientVars.push(biasVar);
  const biasKernel = kernel(biasShader({ batchSize: B, nOut, offset: biasVar.offset }));
  const bias: Dispatch = {
    kernel: biasKernel,
    bindGroup: bind(biasKernel, "bias gradient", [sums, biasVar.buffer]),
    workgroups: [1, 1],
  };

  return {
    chunkUniform,
    mask,
    targets,
    sums,
    layers,
    chunkDispatches,
    bias,
    readout: readoutDispatch,
    rebindReadout,
    inputDispatches,
    spikeLists,
    gradientVars,
    records,
  };
}
