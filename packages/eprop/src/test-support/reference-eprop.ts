/**
 * A direct float64 implementation of docs/equations.md sections 1-2 for any e-prop description
 * (several hidden layers, refractoriness, regularisation, both feedback kinds), used by tests
 * as an independent reference for the compiled network. Not part of the package's API.
 */
import type { EpropNetworkDescription } from "../description";
import { projectionsOf } from "../projections";
import type { ParameterSet } from "../parameters";

export interface ReferenceResult {
  /** Summed over batch and time, spec layout. */
  readonly gradients: Record<string, Float64Array>;
  readonly loss: number[];
  readonly spikeCounts: Record<string, number[]>;
  /** Per-step states of batch element 0, first hidden layer and readout: `[T][n]`. */
  readonly forward: Record<"v" | "a" | "A" | "z" | "psi" | "y" | "pi", number[][]>;
}

/** inputs[b][t][i] spikes, masks[b][t] 0/1, labels[b]. */
export function referenceEprop(
  description: EpropNetworkDescription,
  parameters: ParameterSet,
  inputs: number[][][],
  masks: number[][],
  labels: number[],
): ReferenceResult {
  const dt = description.dt;
  const projections = projectionsOf(description);
  const sizes = new Map<string, number>([[description.input.name, description.input.size]]);
  for (const h of description.hidden) sizes.set(h.name, h.size);
  const readout = description.readout;
  const nOut = readout.size;
  const kappa = Math.exp(-dt / readout.tauOutMs);
  const reg = description.regularisation;
  const gradients: Record<string, Float64Array> = {};
  for (const p of projections) gradients[p.name] = new Float64Array(p.nPre * p.nPost);
  gradients[`${readout.name}.bias`] = new Float64Array(nOut);
  const loss: number[] = [];
  const spikeCounts: Record<string, number[]> = Object.fromEntries(
    description.hidden.map((h) => [h.name, []]),
  );
  const forward: ReferenceResult["forward"] = {
    v: [],
    a: [],
    A: [],
    z: [],
    psi: [],
    y: [],
    pi: [],
  };
  const W = (name: string, post: number, pre: number, nPre: number): number =>
    parameters[name]![post * nPre + pre]!;

  for (let b = 0; b < inputs.length; b++) {
    const T = inputs[b]!.length;
    const layer = new Map(
      description.hidden.map((h) => [
        h.name,
        {
          v: new Float64Array(h.size),
          a: new Float64Array(h.size),
          z: new Float64Array(h.size),
          zPrev: new Float64Array(h.size),
          refLeft: new Float64Array(h.size),
          psi: new Float64Array(h.size),
          psiPrev: new Float64Array(h.size),
          f: new Float64Array(h.size),
          L: new Float64Array(h.size),
          count: 0,
        },
      ]),
    );
    const syn = new Map(
      projections.map((p) => [
        p.name,
        {
          trace: new Float64Array(p.nPre),
          tracePrev: new Float64Array(p.nPre),
          epsA: new Float64Array(p.nPre * p.nPost),
          ebar: new Float64Array(p.nPre * p.nPost),
          zk: new Float64Array(p.nPre),
        },
      ]),
    );
    const y = new Float64Array(nOut);
    let c = 0;
    let elementLoss = 0;
    for (let t = 0; t < T; t++) {
      const spikesOf = (name: string): Float64Array =>
        name === description.input.name ? Float64Array.from(inputs[b]![t]!) : layer.get(name)!.z;
      for (const h of description.hidden) {
        const s = layer.get(h.name)!;
        s.zPrev.set(s.z);
        s.psiPrev.set(s.psi);
        const alpha = Math.exp(-dt / h.tauMemMs);
        const rho = Math.exp(-dt / h.tauAdaptMs);
        const current = new Float64Array(h.size);
        for (const p of projections.filter((q) => q.post === h.name)) {
          const pre = p.kind === "recurrent" ? s.zPrev : spikesOf(p.pre);
          for (let j = 0; j < h.size; j++)
            for (let i = 0; i < p.nPre; i++) current[j]! += W(p.name, j, i, p.nPre) * pre[i]!;
        }
        for (let j = 0; j < h.size; j++) {
          s.a[j] = rho * s.a[j]! + s.zPrev[j]!;
          s.v[j] = alpha * s.v[j]! + current[j]! - h.vThresh * s.zPrev[j]!;
          const A = h.vThresh + h.beta[j]! * s.a[j]!;
          const refractory = s.refLeft[j]! > 0;
          if (refractory) s.refLeft[j]! -= 1;
          const z = !refractory && s.v[j]! > A ? 1 : 0;
          s.z[j] = z;
          if (z) {
            s.refLeft[j] = Math.max(h.refractorySteps - 1, 0);
            s.count++;
          }
          s.psi[j] = refractory
            ? 0
            : (h.gamma / h.vThresh) * Math.max(0, 1 - Math.abs(s.v[j]! - A) / h.vThresh);
          if (reg) {
            const alphaF = Math.exp(-dt / reg.tauMs);
            s.f[j] = alphaF * s.f[j]! + (1 - alphaF) * z;
          }
        }
      }
      // readout
      for (let k = 0; k < nOut; k++) {
        let input = parameters[`${readout.name}.bias`]![k]!;
        for (const p of projections.filter((q) => q.kind === "readout")) {
          const z = layer.get(p.pre)!.z;
          for (let j = 0; j < p.nPre; j++) input += W(p.name, k, j, p.nPre) * z[j]!;
        }
        y[k] = kappa * y[k]! + input;
      }
      if (b === 0) {
        const h = description.hidden[0]!;
        const s = layer.get(h.name)!;
        forward.v.push(Array.from(s.v));
        forward.a.push(Array.from(s.a));
        forward.A.push(Array.from(s.a, (a, j) => h.vThresh + h.beta[j]! * a));
        forward.z.push(Array.from(s.z));
        forward.psi.push(Array.from(s.psi));
        forward.y.push(Array.from(y));
      }
      const max = Math.max(...y);
      const exps = Array.from(y, (v) => Math.exp(v - max));
      const sum = exps.reduce((a, v) => a + v, 0);
      const pi = exps.map((e) => e / sum);
      if (b === 0) forward.pi.push(pi);
      const m = masks[b]![t]!;
      const err = pi.map((p, k) => m * (p - (k === labels[b] ? 1 : 0)));
      elementLoss -= m * Math.log(pi[labels[b]!]!);
      // learning signals
      for (const h of description.hidden) {
        const s = layer.get(h.name)!;
        s.L.fill(0);
        const readoutProjection = projections.find((p) => p.kind === "readout" && p.pre === h.name);
        for (let j = 0; j < h.size; j++) {
          for (let k = 0; k < nOut; k++) {
            const B =
              description.feedback === "random"
                ? parameters[`${readout.name}->${h.name}.feedback`]![j * nOut + k]!
                : W(readoutProjection!.name, k, j, h.size);
            s.L[j]! += B * err[k]!;
          }
        }
      }
      // eligibility and gradients
      for (const p of projections) {
        const st = syn.get(p.name)!;
        if (p.kind === "readout") {
          const z = layer.get(p.pre)!.z;
          for (let j = 0; j < p.nPre; j++) {
            st.zk[j] = kappa * st.zk[j]! + z[j]!;
            for (let k = 0; k < nOut; k++)
              gradients[p.name]![k * p.nPre + j]! += err[k]! * st.zk[j]!;
          }
          continue;
        }
        const h = description.hidden.find((x) => x.name === p.post)!;
        const s = layer.get(h.name)!;
        const alpha = Math.exp(-dt / h.tauMemMs);
        const rho = Math.exp(-dt / h.tauAdaptMs);
        st.tracePrev.set(st.trace);
        const incoming = p.kind === "recurrent" ? s.zPrev : spikesOf(p.pre);
        for (let i = 0; i < p.nPre; i++) st.trace[i] = alpha * st.trace[i]! + incoming[i]!;
        for (let j = 0; j < p.nPost; j++) {
          const beta = h.beta[j]!;
          const r = reg ? reg.strength * (s.f[j]! - (reg.targetRateHz * dt) / 1000) : 0;
          for (let i = 0; i < p.nPre; i++) {
            if (p.kind === "recurrent" && i === j) continue;
            const index = j * p.nPre + i;
            st.epsA[index] =
              s.psiPrev[j]! * st.tracePrev[i]! + (rho - s.psiPrev[j]! * beta) * st.epsA[index]!;
            const e = s.psi[j]! * (st.trace[i]! - beta * st.epsA[index]!);
            st.ebar[index] = kappa * st.ebar[index]! + e;
            gradients[p.name]![index]! += s.L[j]! * st.ebar[index]! + r * e;
          }
        }
      }
      c = kappa * c + 1;
      for (let k = 0; k < nOut; k++) gradients[`${readout.name}.bias`]![k]! += err[k]! * c;
    }
    loss.push(elementLoss);
    for (const h of description.hidden) spikeCounts[h.name]!.push(layer.get(h.name)!.count);
  }
  return { gradients, loss, spikeCounts, forward };
}
