/**
 * The projections and parameter tensors of an e-prop network description: their names, shapes
 * and kinds, in the fixed order the compiler, the parameter sets and checkpoints use.
 */
import type { EpropNetworkDescription } from "./description";

/** A trainable or fixed parameter tensor of an e-prop network. */
export interface ParameterInfo {
  /** e.g. `"input->hidden"`, `"hidden->hidden"`, `"output.bias"`, `"output->hidden.feedback"`. */
  readonly name: string;
  /** `[post][pre]` for weights (spec convention), `[n]` for the bias, `[hidden][readout]` for feedback. */
  readonly shape: readonly number[];
  readonly kind: "weight" | "bias" | "feedback";
  readonly trainable: boolean;
  /** For weights and feedback: the presynaptic and postsynaptic layer. */
  readonly pre?: string;
  readonly post?: string;
}

/** The projections of a network: feedforward, recurrent and readout weights, in a fixed order. */
export interface ProjectionInfo {
  /** Parameter name, `"pre->post"`. */
  readonly name: string;
  /** Name of the core projection. */
  readonly coreName: string;
  readonly pre: string;
  readonly post: string;
  readonly nPre: number;
  readonly nPost: number;
  readonly kind: "feedforward" | "recurrent" | "readout";
}

/** Lists the weight projections of a description in a fixed order. */
export function projectionsOf(description: EpropNetworkDescription): ProjectionInfo[] {
  const size = new Map<string, number>([[description.input.name, description.input.size]]);
  for (const h of description.hidden) size.set(h.name, h.size);
  const out: ProjectionInfo[] = [];
  for (const h of description.hidden) {
    for (const source of h.inputs) {
      out.push({
        name: `${source}->${h.name}`,
        coreName: `${source}__${h.name}`,
        pre: source,
        post: h.name,
        nPre: size.get(source)!,
        nPost: h.size,
        kind: "feedforward",
      });
    }
    if (h.recurrent) {
      out.push({
        name: `${h.name}->${h.name}`,
        coreName: `${h.name}__${h.name}`,
        pre: h.name,
        post: h.name,
        nPre: h.size,
        nPost: h.size,
        kind: "recurrent",
      });
    }
  }
  const r = description.readout;
  for (const source of r.inputs) {
    out.push({
      name: `${source}->${r.name}`,
      coreName: `${source}__${r.name}`,
      pre: source,
      post: r.name,
      nPre: size.get(source)!,
      nPost: r.size,
      kind: "readout",
    });
  }
  return out;
}

/** Every parameter tensor of a network (weights, readout bias, random feedback matrices). */
export function parametersOf(description: EpropNetworkDescription): ParameterInfo[] {
  const out: ParameterInfo[] = projectionsOf(description).map((p) => ({
    name: p.name,
    shape: [p.nPost, p.nPre],
    kind: "weight" as const,
    trainable: true,
    pre: p.pre,
    post: p.post,
  }));
  const r = description.readout;
  out.push({ name: `${r.name}.bias`, shape: [r.size], kind: "bias", trainable: true });
  if (description.feedback === "random") {
    for (const h of description.hidden) {
      out.push({
        name: `${r.name}->${h.name}.feedback`,
        shape: [h.size, r.size],
        kind: "feedback",
        trainable: false,
        pre: r.name,
        post: h.name,
      });
    }
  }
  return out;
}
