/**
 * A loaded pretrained network: its parameters, description and metadata, the encoding of
 * images into its input spikes, and the runtimes that run it (a @snn/eprop `Trainer` for
 * predictions, as `snn infer` and `snn evaluate` use, or an inference `EpropRuntime` to watch a
 * trial step by step).
 */
import type { Backend } from "@snn/core";
import {
  binSpikeTimes,
  collateBatch,
  encodeSequentialMnist,
  type SpikeEvents,
  type SpikeSample,
} from "@snn/datasets";
import {
  EpropRuntime,
  Trainer,
  type EpropBatch,
  type EpropNetworkDescription,
  type ParameterSet,
  type TrainerOptions,
} from "@snn/eprop";
import { PretrainedModelError } from "./errors";
import {
  answerPeriodSteps,
  type PretrainedData,
  type PretrainedInput,
  type PretrainedMetadata,
} from "./format";

/** An image of `imageRows * imageCols` grey values 0..255, row-major. */
export type GreyImage = ArrayLike<number>;

export class PretrainedModel {
  readonly network: EpropNetworkDescription;
  readonly parameters: ParameterSet;
  readonly metadata: PretrainedMetadata;

  constructor(data: PretrainedData) {
    this.network = data.network;
    this.parameters = data.parameters;
    this.metadata = data.metadata;
  }

  get name(): string {
    return this.metadata.name;
  }

  /** How images become input spikes, the trial length and where predictions read the readout. */
  get input(): PretrainedInput {
    return this.metadata.input;
  }

  /**
   * Encoder steps of the 80-channel cue encoding's answer period (20 for the spec's encoding,
   * `--cue-ms` of the run that trained it); undefined for the 79-channel encoding.
   */
  get cueSteps(): number | undefined {
    return answerPeriodSteps(this.input);
  }

  private checkImage(pixels: GreyImage, what: string): void {
    const { imageRows, imageCols } = this.input;
    if (pixels === null || typeof pixels !== "object" || typeof pixels.length !== "number") {
      throw new PretrainedModelError(
        `${what} must be an array of ${imageRows * imageCols} grey values 0..255.`,
      );
    }
    if (pixels.length !== imageRows * imageCols) {
      throw new PretrainedModelError(
        `${what} has ${pixels.length} pixels; the model '${this.name}' reads ${imageRows}x${imageCols} = ${imageRows * imageCols} grey values 0..255.`,
      );
    }
  }

  /** The spike sample of one image: encoder spikes at `s * stepMs` ms (before binning). */
  private sample(pixels: GreyImage, label: number): SpikeSample {
    const events = encodeSequentialMnist(pixels, this.input.encoding, this.cueSteps);
    const timesMs = new Float64Array(events.steps.length);
    for (let i = 0; i < timesMs.length; i++) timesMs[i] = events.steps[i]! * this.input.stepMs;
    return { timesMs, units: events.units, label };
  }

  /**
   * The input spikes of one image in network steps: @snn/datasets' `encodeSequentialMnist`,
   * binned to steps of `dt` and cropped to the trial length, as in training.
   */
  encodeImage(pixels: GreyImage): SpikeEvents {
    this.checkImage(pixels, "encodeImage: the image");
    const sample = this.sample(pixels, 0);
    return binSpikeTimes(sample.timesMs, sample.units, {
      dt: this.input.dt,
      numSteps: this.input.numSteps,
    });
  }

  /**
   * A batch of images for `Trainer.predict` or `prepareTrial`: encoded and binned as in
   * training, with the encoding's loss window when it has one. Without `labels` every label is 0.
   */
  batch(images: readonly GreyImage[], labels?: ArrayLike<number>): EpropBatch {
    if (!Array.isArray(images) || images.length === 0)
      throw new PretrainedModelError("batch: give at least one image.");
    if (labels !== undefined && labels.length !== images.length) {
      throw new PretrainedModelError(`batch: ${images.length} images but ${labels.length} labels.`);
    }
    const classes = this.network.readout.size;
    const samples = images.map((pixels, i) => {
      this.checkImage(pixels, `batch: image ${i}`);
      const label = labels?.[i] ?? 0;
      if (!(Number.isInteger(label) && label >= 0 && label < classes))
        throw new PretrainedModelError(
          `batch: label ${String(label)} of image ${i} is not a class 0..${classes - 1}.`,
        );
      return this.sample(pixels, label);
    });
    const indices = Int32Array.from(images.keys());
    const { lossWindowMs, dt, numSteps } = this.input;
    return collateBatch(samples, indices, {
      dt,
      numSteps,
      lossWindowMs: lossWindowMs ?? undefined,
    });
  }

  /**
   * A `Trainer` holding this network and its parameters on a backend, set up as in training
   * (loss mask, trial length): `await trainer.predict(model.batch(images))` classifies,
   * `trainer.evaluate(dataset)` measures accuracy. Dispose of it when done.
   */
  createTrainer(
    backend: Backend,
    options: Pick<TrainerOptions, "eligibility" | "chunkSteps" | "chunkedTraces"> = {},
  ): Trainer {
    const { lossMask, numSteps } = this.input;
    return new Trainer({
      ...options,
      network: this.network,
      backend,
      parameters: this.parameters,
      ...(lossMask !== null ? { lossMask } : {}),
      numSteps,
    });
  }

  /**
   * An inference runtime of this network on a backend (forward only, no gradients) for
   * `batchSize` trials at a time: run `runtime.runTrial(prepareTrial(model.batch(images),
   * model.network, batchSize, lossMask))` with an `afterStep` callback to read state every
   * step (`runtime.runtime.readVar(layer, "Z")` for spikes, the readout's `"Y"`). Dispose of it when done.
   */
  async createRuntime(
    backend: Backend,
    options: { readonly batchSize?: number } = {},
  ): Promise<EpropRuntime> {
    return EpropRuntime.create(this.network, {
      backend,
      batchSize: options.batchSize ?? 1,
      mode: "inference",
      parameters: this.parameters,
    });
  }
}
