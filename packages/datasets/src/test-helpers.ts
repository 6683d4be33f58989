import type { SpikeBatch } from "./types";

/** Test helper: drains an async batch iterator. */
export async function collectBatches(it: AsyncIterable<SpikeBatch>): Promise<SpikeBatch[]> {
  const out: SpikeBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}
