/** Checks of a network's descriptions shared by every kind of group, and the list helper of their messages. */
import { ModelDefinitionError, NetworkValidationError } from "./errors";
import { builtinModels } from "./models/builtin";
import type { AnyModel } from "./models/types";
import type { InitialValue } from "./network";

export function listOrNone(names: readonly string[]): string {
  return names.length > 0 ? names.join(", ") : "(none)";
}

export function checkUnknownInit(
  init: Readonly<Record<string, InitialValue>> | undefined,
  known: readonly string[],
  where: string,
): void {
  for (const name of Object.keys(init ?? {})) {
    if (!known.includes(name)) {
      throw new NetworkValidationError(
        `${where}: there is no variable '${name}' to initialise. Variables: ${listOrNone(known)}.`,
      );
    }
  }
}

export function assertModel(model: unknown, kind: AnyModel["kind"], where: string): void {
  const builtinNames = Object.values(builtinModels)
    .filter((m) => m.kind === kind)
    .map((m) => m.name);
  if (typeof model === "string") {
    throw new NetworkValidationError(
      `${where}: model must be a model object, got the string '${model}'. ${builtinNames.includes(model) ? `Import it: \`import { ${model} } from "@snn/core"\`.` : `Built-in ${kind} models: ${builtinNames.join(", ")}.`}`,
    );
  }
  if (typeof model !== "object" || model === null || (model as AnyModel).kind !== kind) {
    throw new NetworkValidationError(
      `${where}: expected a ${kind} model (an object with kind '${kind}'), got ${model === null ? "null" : typeof model === "object" ? `kind '${String((model as { kind?: unknown }).kind)}'` : typeof model}. Built-in ${kind} models: ${listOrNone(builtinNames)}.`,
    );
  }
  if (typeof (model as AnyModel).name !== "string" || (model as AnyModel).name === "") {
    throw new ModelDefinitionError(
      `${where}: the ${kind} model has no name; give it a unique name.`,
    );
  }
}

export function assertSize(size: unknown, where: string): asserts size is number {
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
    throw new NetworkValidationError(
      `${where}: size must be a positive integer, got ${String(size)}.`,
    );
  }
}
