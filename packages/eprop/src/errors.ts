import { SnnError } from "@snn/core";

/** An e-prop network description is invalid (unknown neuron type, bad sizes, missing inputs, ...). */
export class EpropConfigError extends SnnError {}

/** A batch or dataset does not fit the network (wrong number of channels, classes, shapes). */
export class EpropBatchError extends SnnError {}

/** A checkpoint file is corrupt, truncated, or belongs to another network or training setup. */
export class CheckpointError extends SnnError {}

/** A gradient-check fixture is malformed (missing fields, inconsistent sizes). */
export class GradcheckFixtureError extends SnnError {}
