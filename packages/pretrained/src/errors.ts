import { SnnError } from "@snn/core";

/** A pretrained model is unknown, cannot be read, is corrupt, or does not fit the data given to it. */
export class PretrainedModelError extends SnnError {}
