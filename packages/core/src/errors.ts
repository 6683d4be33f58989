/**
 * Errors raised by @snn packages. Every error says what was wrong and what to do about it.
 * Catch `SnnError` to handle any of them; the subclasses let callers tell the kinds apart.
 */
export class SnnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A model definition is malformed (missing code, bad variable declarations, unknown names). */
export class ModelDefinitionError extends SnnError {}

/** A network description is invalid (unknown model, missing params, size mismatches, ...). */
export class NetworkValidationError extends SnnError {}

/** A backend cannot provide a feature the network needs; `feature` names it. */
export class UnsupportedFeatureError extends SnnError {
  constructor(
    readonly backend: string,
    readonly feature: string,
    detail = "",
  ) {
    super(`The ${backend} backend does not support ${feature}${detail ? `: ${detail}` : ""}.`);
  }
}

/** A runtime call was given bad arguments (unknown population, wrong shape, disposed runtime). */
export class RuntimeUsageError extends SnnError {}
