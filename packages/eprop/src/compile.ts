/**
 * The e-prop compiler pass: a layer-level description becomes an ordinary core `Network`
 * (the neuron, weight-update and custom-update models of `neuron-models.ts`,
 * `synapse-models.ts` and `custom-update-models.ts`) plus a layout that tells
 * the host where every parameter, gradient and piece of per-trial state lives.
 */
import { Network, SpikeSourceArray, type NeuronModel, type WeightUpdateModel } from "@snn/core";
import { isAdaptive, type EpropNetworkDescription } from "./description";
import {
  parametersOf,
  projectionsOf,
  type ParameterInfo,
  type ProjectionInfo,
} from "./projections";
import { EpropConfigError } from "./errors";
import { adamModel, reduceGradientModel, zeroModel } from "./custom-update-models";
import { HOST_SOFTMAX_EXTRA_STEPS, INFERENCE_EXTRA_STEPS, TRAIN_EXTRA_STEPS } from "./models";
import { hiddenNeuronModel, readoutModel } from "./neuron-models";
import {
  feedbackOnlyModel,
  feedbackStoreModel,
  hiddenSynapseModel,
  maskModel,
  readoutSynapseModel,
  softmaxModel,
} from "./synapse-models";
import { initialParameters, toCoreLayout } from "./parameters";

/** Adam settings (docs/equations.md section 3). */
export interface AdamOptions {
  /** Default 0.001. */
  readonly learningRate?: number;
  /** Default 0.9. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly epsilon?: number;
}

/** Adam settings with defaults filled in. */
export interface ResolvedAdamOptions {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export function resolveAdamOptions(options: AdamOptions = {}): ResolvedAdamOptions {
  const resolved = {
    learningRate: options.learningRate ?? 0.001,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? 1e-8,
  };
  if (!(resolved.learningRate > 0) || !Number.isFinite(resolved.learningRate)) {
    throw new EpropConfigError(
      `Adam learningRate must be a positive number, got ${String(options.learningRate)}.`,
    );
  }
  for (const key of ["beta1", "beta2"] as const) {
    if (!(resolved[key] >= 0 && resolved[key] < 1))
      throw new EpropConfigError(`Adam ${key} must be in [0, 1), got ${String(resolved[key])}.`);
  }
  if (!(resolved.epsilon > 0) || !Number.isFinite(resolved.epsilon)) {
    throw new EpropConfigError(
      `Adam epsilon must be a positive number, got ${String(options.epsilon)}.`,
    );
  }
  return resolved;
}

export interface EpropCompileOptions {
  /** Batch elements simulated together. */
  readonly batchSize: number;
  /** `train`: e-prop traces, gradients, Adam; `inference`: forward pass and readout only. */
  readonly mode: "train" | "inference";
  readonly optimizer?: AdamOptions;
  /** Initial parameters in the spec layout (`[post][pre]`), all or some; the rest are drawn from the description's seed. */
  readonly parameters?: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * How hidden-layer eligibility traces are evaluated in training: `perStep` (every synapse
   * every step, in core models) or `chunked` (per chunk of steps on the host, from per-neuron
   * histories; docs/chunked-eprop.md). Default `perStep`.
   */
  readonly eligibility?: EligibilityMode;
  /**
   * Inference only: where the readout's softmax (and the loss, pi and y sums) is computed. `host`
   * (default): the network's readout is the leaky integrator y alone, and the host computes the
   * max-subtracted softmax from y after every step (readout-softmax.ts), as chunked training
   * does; `network`: in the network, by the readout's own softmax projection and a loss-mask
   * spike source (no per-step reads: what `EpropRuntime` compiles on WebGPU). Training fixes it:
   * `host` in chunked training, `network` per step.
   */
  readonly readoutSoftmax?: ReadoutSoftmaxPlace;
}

/** How hidden-layer eligibility traces are evaluated in training. */
export type EligibilityMode = "perStep" | "chunked";

/** Where the readout's softmax is computed (see {@link EpropCompileOptions.readoutSoftmax}). */
export type ReadoutSoftmaxPlace = "host" | "network";

/** Where a parameter lives in the compiled network. */
export interface ParameterLocation {
  readonly info: ParameterInfo;
  /** Core owner and variable of the value. */
  readonly owner: string;
  readonly variable: string;
  /** Dense projection storage `[pre][post]` that must be transposed to/from the spec's `[post][pre]`. */
  readonly transposed: boolean;
  /** Training only: where the gradient summed over the batch is read (`GradSum` of a reduction, or of the projection in chunked mode). */
  readonly gradient?: { readonly owner: string; readonly variable: string };
  /** Training only: the custom update that sums the gradient over the batch (absent in chunked mode for hidden weights). */
  readonly reduceUpdate?: string;
  /** Training only: the Adam update (`M`, `V`, `Step`). */
  readonly adamUpdate?: string;
}

/** What the host needs to drive a compiled e-prop network. */
export interface EpropLayout {
  readonly description: EpropNetworkDescription;
  readonly mode: "train" | "inference";
  readonly eligibility: EligibilityMode;
  /** Where the readout's softmax is computed: `host` in chunked training and (by default) inference. */
  readonly readoutSoftmax: ReadoutSoftmaxPlace;
  readonly batchSize: number;
  readonly inputPopulation: string;
  /**
   * The one-neuron spike source of the loss mask, or null where the softmax is on the host
   * (`readoutSoftmax: 'host'`), which applies the mask (and the softmax and the loss) itself.
   */
  readonly maskPopulation: string | null;
  readonly readoutPopulation: string;
  readonly hiddenPopulations: readonly string[];
  /** Steps a trial runs beyond the T steps of its input. */
  readonly extraSteps: number;
  readonly projections: readonly ProjectionInfo[];
  readonly parameters: readonly ParameterLocation[];
  readonly groups: { readonly reset: string; readonly reduce: string; readonly adam: string };
  readonly optimizer: ResolvedAdamOptions;
}

export const MASK_POPULATION = "eprop_mask";
const GROUPS = { reset: "eprop_reset", reduce: "eprop_reduce", adam: "eprop_adam" } as const;

/**
 * Compiles an e-prop description into a core `Network` and its layout. The network has the
 * input as a spike source array, one population per hidden layer, the readout, a one-neuron
 * spike source for the loss mask, and custom update groups `eprop_reset` (zero per-trial
 * state), `eprop_reduce` (sum gradients over the batch) and `eprop_adam` (one Adam step).
 * Chunked training has neither the mask source nor the readout's softmax projection (the host
 * computes the softmax, error and loss from y; docs/chunked-eprop.md) and no `eprop_reduce`;
 * nor has inference with `readoutSoftmax: 'host'` (the default).
 */
export function compileEpropNetwork(
  description: EpropNetworkDescription,
  options: EpropCompileOptions,
): { network: Network; layout: EpropLayout } {
  const { batchSize, mode } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new EpropConfigError(`batchSize must be a positive integer, got ${String(batchSize)}.`);
  }
  if (mode !== "train" && mode !== "inference")
    throw new EpropConfigError(`mode must be 'train' or 'inference', got ${String(mode)}.`);
  const train = mode === "train";
  const eligibility = options.eligibility ?? "perStep";
  if (eligibility !== "perStep" && eligibility !== "chunked") {
    throw new EpropConfigError(
      `eligibility must be 'perStep' or 'chunked', got ${String(eligibility)}.`,
    );
  }
  const chunked = train && eligibility === "chunked";
  const place = options.readoutSoftmax;
  if (place !== undefined && place !== "host" && place !== "network") {
    throw new EpropConfigError(`readoutSoftmax must be 'host' or 'network', got ${String(place)}.`);
  }
  if (place !== undefined && train) {
    throw new EpropConfigError(
      "readoutSoftmax is for inference: training puts the softmax on the host with chunked eligibility and in the network per step.",
    );
  }
  const hostSoftmax = chunked || (!train && place !== "network");
  const optimizer = resolveAdamOptions(options.optimizer);
  const dt = description.dt;
  const given = options.parameters ?? {};
  const complete = parametersOf(description).every((info) => given[info.name] !== undefined);
  const parameters = toCoreLayout(
    description,
    complete ? given : { ...initialParameters(description), ...given },
  );
  const network = new Network({ dt, batchSize, name: `eprop_${mode}` });
  const reg = train ? description.regularisation : null;
  const readout = description.readout;
  const kappa = Math.exp(-dt / readout.tauOutMs);

  network.addPopulation(description.input.name, {
    model: SpikeSourceArray,
    size: description.input.size,
  });
  const hiddenByName = new Map(description.hidden.map((h) => [h.name, h]));
  const neuronModels = new Map<string, NeuronModel>();
  const resetVars: { label: string; owner: string; vars: string[] }[] = [];
  for (const layer of description.hidden) {
    const adaptive = isAdaptive(layer);
    const variant = { train, chunked, adaptive, regularise: reg !== null };
    const key = JSON.stringify(variant);
    if (!neuronModels.has(key)) neuronModels.set(key, hiddenNeuronModel(variant));
    const model = neuronModels.get(key)!;
    network.addPopulation(layer.name, {
      model,
      size: layer.size,
      params: {
        Alpha: Math.exp(-dt / layer.tauMemMs),
        Rho: Math.exp(-dt / layer.tauAdaptMs),
        Vthresh: layer.vThresh,
        PsiScale: layer.gamma / layer.vThresh,
        RefracHold: Math.max(layer.refractorySteps - 1, 0),
        AlphaF: reg ? Math.exp(-dt / reg.tauMs) : 0,
        CReg: reg ? reg.strength : 0,
        FTargetDt: reg ? (reg.targetRateHz * dt) / 1000 : 0,
      },
      init: { Beta: Float32Array.from(layer.beta) },
    });
    resetVars.push({
      label: layer.name,
      owner: layer.name,
      vars: Object.keys(model.vars ?? {}).filter((v) => v !== "Beta"),
    });
  }
  const readoutNeuron = readoutModel(train, hostSoftmax);
  network.addPopulation(readout.name, {
    model: readoutNeuron,
    size: readout.size,
    params: { Kappa: kappa },
    init: { Bias: parameters.get(`${readout.name}.bias`)! },
  });
  resetVars.push({
    label: readout.name,
    owner: readout.name,
    vars: Object.keys(readoutNeuron.vars ?? {}).filter(
      (v) => v !== "Bias" && v !== "Target" && v !== "BiasGradSum",
    ),
  });
  if (!hostSoftmax) network.addPopulation(MASK_POPULATION, { model: SpikeSourceArray, size: 1 });

  const projections = projectionsOf(description);
  const synapseModels = new Map<string, WeightUpdateModel>();
  const modelFor = (key: string, make: () => WeightUpdateModel): WeightUpdateModel => {
    if (!synapseModels.has(key)) synapseModels.set(key, make());
    return synapseModels.get(key)!;
  };
  for (const projection of projections) {
    const weights = parameters.get(projection.name)!;
    if (projection.kind === "readout") {
      const random = description.feedback === "random";
      const model = modelFor(`readout:${random}`, () =>
        readoutSynapseModel(train, random, chunked),
      );
      const init: Record<string, Float32Array> = { g: weights };
      if (train && random) init.B = parameters.get(`${readout.name}->${projection.pre}.feedback`)!;
      network.addProjection(projection.coreName, {
        pre: projection.pre,
        post: projection.post,
        model,
        connectivity: { kind: "dense" },
        delaySteps: 0,
        init,
        ...(train && !chunked ? { params: { Kappa: kappa }, preTarget: "Lin" } : {}),
      });
      if (train && !chunked) {
        resetVars.push({
          label: `${projection.coreName}_pre`,
          owner: projection.coreName,
          vars: ["ZK0", "ZK1", "ZK2"],
        });
        resetVars.push({
          label: `${projection.coreName}_syn`,
          owner: projection.coreName,
          vars: ["G"],
        });
      }
      continue;
    }
    const post = hiddenByName.get(projection.post)!;
    const adaptive = isAdaptive(post);
    const variant = {
      train,
      chunked,
      adaptive,
      regularise: reg !== null,
      spikeSourcePre: projection.pre === description.input.name,
      noSelf: projection.kind === "recurrent",
    };
    const model = modelFor(JSON.stringify(variant), () => hiddenSynapseModel(variant));
    network.addProjection(projection.coreName, {
      pre: projection.pre,
      post: projection.post,
      model,
      connectivity: { kind: "dense" },
      delaySteps: projection.kind === "recurrent" ? 1 : 0,
      init: { g: weights },
      ...(train && !chunked
        ? {
            params: { Alpha: Math.exp(-dt / post.tauMemMs), Kappa: kappa },
          }
        : {}),
    });
    if (train && !chunked) {
      const preVars = Object.keys(model.preVars ?? {});
      resetVars.push({
        label: `${projection.coreName}_pre`,
        owner: projection.coreName,
        vars: preVars,
      });
      resetVars.push({
        label: `${projection.coreName}_syn`,
        owner: projection.coreName,
        vars: adaptive ? ["G", "Ebar", "EpsA"] : ["G", "Ebar"],
      });
    }
  }
  // Random feedback into hidden layers that do not feed the readout.
  const feedbackOnly = new Map<string, string>();
  if (train && description.feedback === "random") {
    for (const layer of description.hidden) {
      if (readout.inputs.includes(layer.name)) continue;
      const coreName = `${layer.name}__${readout.name}__feedback`;
      feedbackOnly.set(layer.name, coreName);
      network.addProjection(coreName, {
        pre: layer.name,
        post: readout.name,
        model: chunked ? feedbackStoreModel : feedbackOnlyModel,
        connectivity: { kind: "dense" },
        delaySteps: 0,
        init: { B: parameters.get(`${readout.name}->${layer.name}.feedback`)! },
        ...(chunked ? {} : { preTarget: "Lin" }),
      });
    }
  }
  if (!hostSoftmax) {
    network.addProjection(`${readout.name}__softmax`, {
      pre: readout.name,
      post: readout.name,
      model: softmaxModel,
      connectivity: { kind: "dense" },
      delaySteps: 1,
      postTarget: "SumExp",
    });
    network.addProjection(`${MASK_POPULATION}__${readout.name}`, {
      pre: MASK_POPULATION,
      post: readout.name,
      model: maskModel,
      connectivity: { kind: "dense" },
      delaySteps: 1,
      postTarget: "MaskIn",
    });
  }

  for (const { label, owner, vars } of resetVars) {
    network.addCustomUpdate(`${label}__reset`, {
      group: GROUPS.reset,
      model: zeroModel(label, vars),
      varRefs: Object.fromEntries(vars.map((v) => [v, { owner, var: v }])),
    });
  }

  const locations: ParameterLocation[] = [];
  for (const info of parametersOf(description)) {
    let owner: string;
    let variable: string;
    let transposed = false;
    let gradient: { owner: string; var: string } | null = null;
    let hostGradient = false;
    if (info.kind === "weight") {
      const projection = projections.find((p) => p.name === info.name)!;
      owner = projection.coreName;
      variable = "g";
      transposed = true;
      gradient = { owner, var: "G" };
      hostGradient = chunked;
    } else if (info.kind === "bias") {
      owner = readout.name;
      variable = "Bias";
      gradient = { owner, var: "GradBias" };
      hostGradient = chunked;
    } else {
      // Feedback B_jk lives in hidden->readout synapses (index j * nReadout + k): already [hidden][readout].
      const hidden = info.post!;
      owner = feedbackOnly.get(hidden) ?? `${hidden}__${readout.name}`;
      variable = "B";
      if (!train) {
        continue;
      }
    }
    if (!train || gradient === null) {
      locations.push({ info, owner, variable, transposed });
      continue;
    }
    const base = info.kind === "bias" ? `${readout.name}__bias` : owner;
    const reduceUpdate = hostGradient ? undefined : `${base}__reduce`;
    const adamUpdate = `${base}__adam`;
    if (reduceUpdate) {
      network.addCustomUpdate(reduceUpdate, {
        group: GROUPS.reduce,
        model: reduceGradientModel,
        varRefs: { Grad: gradient },
      });
    }
    const summed = reduceUpdate
      ? { owner: reduceUpdate, variable: "GradSum" }
      : { owner, variable: info.kind === "bias" ? "BiasGradSum" : "GradSum" };
    network.addCustomUpdate(adamUpdate, {
      group: GROUPS.adam,
      model: adamModel,
      params: {
        LearningRate: optimizer.learningRate,
        Beta1: optimizer.beta1,
        Beta2: optimizer.beta2,
        Epsilon: optimizer.epsilon,
      },
      varRefs: {
        Weight: { owner, var: variable },
        Grad: { owner: summed.owner, var: summed.variable },
      },
    });
    locations.push({
      info,
      owner,
      variable,
      transposed,
      gradient: summed,
      ...(reduceUpdate ? { reduceUpdate } : {}),
      adamUpdate,
    });
  }

  return {
    network,
    layout: {
      description,
      mode,
      eligibility: chunked ? "chunked" : "perStep",
      readoutSoftmax: hostSoftmax ? "host" : "network",
      batchSize,
      inputPopulation: description.input.name,
      maskPopulation: hostSoftmax ? null : MASK_POPULATION,
      readoutPopulation: readout.name,
      hiddenPopulations: description.hidden.map((h) => h.name),
      extraSteps: hostSoftmax
        ? HOST_SOFTMAX_EXTRA_STEPS
        : train
          ? TRAIN_EXTRA_STEPS
          : INFERENCE_EXTRA_STEPS,
      projections,
      parameters: locations,
      groups: GROUPS,
      optimizer,
    },
  };
}
