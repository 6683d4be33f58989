/// <reference types="@webgpu/types" />
/**
 * What the device evaluation of chunked e-prop (device-eligibility.ts) is made of for one
 * network: the shape of every WGSL kernel (wgsl-kernels.ts) from the network description, the
 * network variables they read and write, and the list of kernels to compile.
 */
import type { DeviceAccess, DeviceTypes, DeviceVarStorage } from "@snn/core";
import type { EpropNetworkDescription } from "../description";
import type { ProjectionInfo } from "../projections";
import type { WgslKernel } from "./wgsl-bindings";
import { recordShader } from "./wgsl-kernels";
import { advanceShader, backwardShader, totalsShader, type LayerShape } from "./wgsl-layer-kernels";
import { applyShader, compactShader, type ProjectionShape } from "./wgsl-projection-kernels";
import { biasShader, readoutShader, readoutWeightsShader } from "./wgsl-readout-kernels";

/** Core's {@link DeviceTypes} filled with WebGPU's own types (from `@webgpu/types`). */
export interface WebGpuTypes extends DeviceTypes {
  readonly device: GPUDevice;
  readonly buffer: GPUBuffer;
  readonly computePass: GPUComputePassEncoder;
  readonly computePipeline: GPUComputePipeline;
  readonly bindGroupLayout: GPUBindGroupLayout;
  readonly bufferBindingType: GPUBufferBindingType;
}

/** The kernels' shapes for one network, and where the network variables they read and write live. */
export interface Shapes {
  readonly readout: {
    readonly batchSize: number;
    readonly nOut: number;
    readonly K: number;
    readonly kappa: number;
  };
  readonly layers: readonly {
    readonly name: string;
    readonly size: number;
    readonly shape: LayerShape;
    /** The feedback B `[n][nOut]` (readout weights, or fixed random feedback), or null: no learning signal. */
    readonly feedback: DeviceVarStorage<WebGpuTypes> | null;
    /** The readout projection's `GradSum` `[n][nOut]`, when the layer feeds the readout. */
    readonly readoutGradient: DeviceVarStorage<WebGpuTypes> | null;
    readonly projections: readonly {
      readonly name: string;
      readonly shape: ProjectionShape;
      readonly preLayer: string | null;
      readonly gradient: DeviceVarStorage<WebGpuTypes>;
    }[];
  }[];
}

/** The shapes of every kernel for a network, and where the network's variables they use live. */
export function deviceShapes(
  description: EpropNetworkDescription,
  projections: readonly ProjectionInfo[],
  B: number,
  K: number,
  access: DeviceAccess<WebGpuTypes>,
): Shapes {
  const dt = description.dt;
  const readout = description.readout;
  const nOut = readout.size;
  const kappa = Math.exp(-dt / readout.tauOutMs);
  const reg = description.regularisation;
  const regularisation = reg
    ? {
        alpha: Math.exp(-dt / reg.tauMs),
        strength: reg.strength,
        targetPerStep: (reg.targetRateHz * dt) / 1000,
      }
    : null;
  const eventWords = Math.ceil(description.input.size / 32);
  const layers = description.hidden.map((hidden) => {
    const readoutProjection =
      projections.find((p) => p.kind === "readout" && p.pre === hidden.name) ?? null;
    let feedback: DeviceVarStorage<WebGpuTypes> | null = null;
    if (description.feedback === "random")
      feedback = access.varStorage(
        readoutProjection?.coreName ?? `${hidden.name}__${readout.name}__feedback`,
        "B",
      );
    else if (readoutProjection) feedback = access.varStorage(readoutProjection.coreName, "g");
    const shape: LayerShape = {
      batchSize: B,
      n: hidden.size,
      nOut,
      K,
      alpha: Math.exp(-dt / hidden.tauMemMs),
      rho: Math.exp(-dt / hidden.tauAdaptMs),
      kappa,
      adaptive: Array.from(hidden.beta).some((b) => b !== 0),
      regularisation,
    };
    return {
      name: hidden.name,
      size: hidden.size,
      shape,
      feedback,
      readoutGradient: readoutProjection
        ? access.varStorage(readoutProjection.coreName, "GradSum")
        : null,
      projections: projections
        .filter((p) => p.kind !== "readout" && p.post === hidden.name)
        .map((p) => {
          const fromInput = p.pre === description.input.name;
          const projectionShape: ProjectionShape = {
            batchSize: B,
            numPre: p.nPre,
            n: hidden.size,
            K,
            adaptive: shape.adaptive,
            source: fromInput
              ? { kind: "events", words: eventWords }
              : { kind: "history", row: p.kind === "recurrent" ? 0 : 1 },
            noSelf: p.kind === "recurrent",
          };
          return {
            name: p.name,
            shape: projectionShape,
            preLayer: fromInput ? null : p.pre,
            gradient: access.varStorage(p.coreName, "GradSum"),
          };
        }),
    };
  });
  return { readout: { batchSize: B, nOut, K, kappa }, layers };
}

/**
 * Every kernel of one network's chunked evaluation (the same kernel may appear more than once):
 * `biasOffset` is where the readout's `BiasGradSum` lies in its buffer.
 */
export function chunkKernels(shapes: Shapes, biasOffset: number): WgslKernel[] {
  const batchSize = shapes.readout.batchSize;
  const shaders: WgslKernel[] = [
    recordShader(),
    readoutShader(shapes.readout),
    biasShader({
      batchSize,
      nOut: shapes.readout.nOut,
      offset: biasOffset,
    }),
  ];
  for (const layer of shapes.layers) {
    if (layer.readoutGradient)
      shaders.push(readoutWeightsShader({ ...layer.shape, offset: layer.readoutGradient.offset }));
    shaders.push(
      backwardShader({ ...layer.shape, feedbackOffset: layer.feedback?.offset ?? null }),
    );
    shaders.push(
      totalsShader({
        batchSize,
        n: layer.size,
        K: shapes.readout.K,
        adaptive: layer.shape.adaptive,
      }),
    );
    shaders.push(
      advanceShader({
        batchSize,
        n: layer.size,
        kappa: layer.shape.kappa,
        readout: layer.readoutGradient !== null,
      }),
    );
    for (const projection of layer.projections) {
      shaders.push(
        compactShader(projection.shape),
        applyShader({ ...projection.shape, offset: projection.gradient.offset }),
      );
    }
  }
  return shaders;
}
