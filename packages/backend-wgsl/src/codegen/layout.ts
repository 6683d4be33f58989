import { BufferLimitError } from "../errors";
import { type StorageRef, storageKey } from "./storage";

/** Storage arenas: one for f32 data, one for 32-bit integer data (int, uint, bool, indices, spike flags). */
export type Arena = "f32" | "u32";

/** One request for storage: a region of `length` 32-bit elements. */
export interface StorageRequest {
  readonly ref: StorageRef;
  /** What it is, for error messages, e.g. "Variable 'g' of projection 'in_hid'". */
  readonly label: string;
  readonly arena: Arena;
  readonly length: number;
  /** Copies per batch element (1 when shared), for the advice in limit errors. */
  readonly batchCopies: number;
}

/** Where a region lives: buffer `chunk` of its arena, from element `offset`. */
export interface Allocation extends StorageRequest {
  readonly chunk: number;
  readonly offset: number;
}

export interface StorageLayout {
  /** Every region, in the order requested. */
  readonly allocations: readonly Allocation[];
  /** Where a region lives; throws when it was not requested (an internal error). */
  allocation(ref: StorageRef): Allocation;
  /** Bytes of each buffer of each arena. */
  readonly chunks: { readonly f32: readonly number[]; readonly u32: readonly number[] };
  readonly maxBindingBytes: number;
}

/** Elements at which each region starts are multiples of this (16 bytes). */
const ALIGN_ELEMENTS = 4;

/**
 * Places every region in a buffer of its arena, opening a new buffer when the current one
 * would exceed `maxBindingBytes` (the device's `maxStorageBufferBindingSize`), so that the
 * state of a large network is split over several buffers. A single region larger than the
 * limit cannot be split (kernels index it as one array): that is a {@link BufferLimitError}
 * saying which region, by how much, and what to change.
 */
export function planStorage(
  requests: readonly StorageRequest[],
  maxBindingBytes: number,
): StorageLayout {
  const maxElements = Math.floor(maxBindingBytes / 4);
  const allocations = new Map<string, Allocation>();
  const used: Record<Arena, number[]> = { f32: [], u32: [] };
  for (const request of requests) {
    const key = storageKey(request.ref);
    if (allocations.has(key)) throw new Error(`internal: storage region '${key}' requested twice`);
    const length = Math.max(request.length, 1);
    if (length > maxElements) {
      throw new BufferLimitError(
        request.label,
        length * 4,
        maxBindingBytes,
        adviceFor(request, maxElements),
      );
    }
    const chunks = used[request.arena];
    let chunk = chunks.length - 1;
    let offset = chunk >= 0 ? alignUp(chunks[chunk]!, ALIGN_ELEMENTS) : 0;
    if (chunk < 0 || offset + length > maxElements) {
      chunk = chunks.length;
      chunks.push(0);
      offset = 0;
    }
    chunks[chunk] = offset + length;
    allocations.set(key, { ...request, chunk, offset });
  }
  const bytes = (elements: number[]): number[] =>
    elements.map((n) => alignUp(Math.max(n, ALIGN_ELEMENTS), ALIGN_ELEMENTS) * 4);
  return {
    allocations: [...allocations.values()],
    allocation: (ref) => {
      const found = allocations.get(storageKey(ref));
      if (!found) throw new Error(`internal: no storage for '${storageKey(ref)}'`);
      return found;
    },
    chunks: { f32: bytes(used.f32), u32: bytes(used.u32) },
    maxBindingBytes,
  };
}

function adviceFor(request: StorageRequest, maxElements: number): string {
  if (request.batchCopies > 1) {
    const perCopy = request.length / request.batchCopies;
    const largestBatch = Math.floor(maxElements / perCopy);
    return largestBatch >= 1
      ? `Use a batch size of at most ${largestBatch} (now ${request.batchCopies}), or fewer neurons or synapses (sparse connectivity stores fewer synapses than dense).`
      : `Even one batch element (${perCopy} elements) is too large: use fewer neurons or synapses (sparse connectivity stores fewer synapses than dense).`;
  }
  return "Use fewer neurons or synapses (sparse connectivity stores fewer synapses than dense), or split the projection into several smaller ones.";
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
