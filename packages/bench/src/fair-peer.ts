/**
 * Whether a PyTorch timing is a fair peer for a speed-up. The reference scripts name the BLAS
 * torch loaded and its threads (`reference/blas_info.py`): on netlib's reference BLAS (what
 * Debian's python3-torch gets without libopenblas0-pthread) torch is 10-20x slower than on
 * OpenBLAS, so a speed-up over it would mislead; where the BLAS is unknown it may. In both
 * cases the suites give no ratio, log {@link PeerVerdict.warning} once, and record
 * `noRatioReason` in its place.
 */

/** BLAS libraries whose timings are fair peers. */
export const FAIR_BLAS: readonly string[] = ["OpenBLAS", "MKL", "BLIS"];

/** How to get a fair peer, for the warning. */
export const FAIR_PEER_FIX =
  "apt install libopenblas0-pthread, or set SNN_PYTHON to a python whose torch uses OpenBLAS/MKL";

/** The peer's BLAS as a reference script reported it (`blas`, `blasThreads`, `blasLibraries` of its JSON line). */
export interface PeerBlas {
  /** "OpenBLAS", "MKL", "BLIS", "ATLAS", "reference BLAS (netlib)" or "unknown" (also where the script did not say). */
  readonly blas: string;
  /** The BLAS's own threads, null where unknown. */
  readonly blasThreads: number | null;
  readonly blasLibraries: readonly string[];
}

/** The verdict on a peer: a speed-up may be given, or not, with the reason and the one-line warning. */
export type PeerVerdict =
  | {
      readonly fair: true;
      readonly peer: PeerBlas;
      /** e.g. "torch on OpenBLAS, 1 BLAS thread" */ readonly describe: string;
    }
  | {
      readonly fair: false;
      readonly peer: PeerBlas;
      readonly describe: string;
      /** for `noRatioReason` */ readonly reason: string;
      /** the line to log */ readonly warning: string;
    };

/** The BLAS fields of a reference script's JSON line. */
export function peerBlasOf(line: Readonly<Record<string, unknown>>): PeerBlas {
  return {
    blas: typeof line.blas === "string" && line.blas !== "" ? line.blas : "unknown",
    blasThreads: typeof line.blasThreads === "number" ? line.blasThreads : null,
    blasLibraries: Array.isArray(line.blasLibraries)
      ? line.blasLibraries.filter((l): l is string => typeof l === "string")
      : [],
  };
}

/** "OpenBLAS, 1 BLAS thread" */
function describeBlas(peer: PeerBlas): string {
  return `${peer.blas}${peer.blasThreads !== null ? `, ${String(peer.blasThreads)} BLAS thread${peer.blasThreads === 1 ? "" : "s"}` : ""}`;
}

/**
 * Judges the peer of a reference script's JSON line; `label` names it in the warning
 * (e.g. "PyTorch BPTT").
 */
export function judgePeer(line: Readonly<Record<string, unknown>>, label: string): PeerVerdict {
  const peer = peerBlasOf(line);
  const describe = `torch on ${describeBlas(peer)}`;
  if (FAIR_BLAS.includes(peer.blas)) return { fair: true, peer, describe };
  const libraries =
    peer.blasLibraries.length > 0
      ? ` (${peer.blasLibraries.map((l) => l.split("/").at(-1)).join(", ")})`
      : "";
  const reason =
    peer.blas === "unknown"
      ? `torch's BLAS is unknown${libraries}: its timings may be on a reference BLAS, which is 10-20x slower than OpenBLAS`
      : `torch ran on ${peer.blas}${libraries}, not an optimised BLAS (OpenBLAS is 10-20x faster)`;
  return {
    fair: false,
    peer,
    describe,
    reason,
    warning: `WARNING: no speed-up over ${label}: not a fair peer, ${reason}; fix: ${FAIR_PEER_FIX}`,
  };
}

/** The report fields of a peer: its BLAS and threads. */
export function peerFields(peer: PeerBlas): { peerBlas: string; peerBlasThreads: number | null } {
  return { peerBlas: peer.blas, peerBlasThreads: peer.blasThreads };
}
