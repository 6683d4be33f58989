// The HDF5 side of `Hdf5Reader` (h5-reader.ts): runs h5wasm in a worker thread so that the
// main thread can put a time limit on every HDF5 call and end the worker when a damaged file
// makes HDF5 loop forever or abort. Plain JavaScript (no build step), so that it runs both from
// the sources (tests) and from dist, where the build copies it beside index.js.
//
// Protocol: the worker posts { type: "ready" } once h5wasm is loaded (or { type: "failed",
// message }). Requests are { id, op, ... }; every request gets exactly one reply
// { id, ok: true, value } or { id, ok: false, error: { kind, message, index? } }.
//   open     { file }                              opens the file read-only
//   entity   { path }                              null | { kind: "dataset", metadata } | { kind: "other" }
//   value    { path }                              the dataset's whole value
//   readVlen { path, start, count, elementSize }   { lengths: Uint32Array, data: Uint8Array } of
//                                                  `count` variable-length entries from `start`
//   close    {}                                    closes the file
import { parentPort, workerData } from "node:worker_threads";

/** Refuse reads that would copy more than this many bytes out of one call (a damaged length). */
const MAX_READ_BYTES = 1024 * 1024 * 1024;

const port = parentPort;
if (port === null) throw new Error("h5-worker.mjs must run as a worker thread");

let h5;
let file;
let broken = false;

function errorOf(e) {
  const message = e instanceof Error ? e.message : String(e);
  // Emscripten's abort() leaves the module unusable; later requests are refused.
  if (/Aborted\(/.test(message)) broken = true;
  return { kind: /Aborted\(/.test(message) ? "abort" : "hdf5", message };
}

function readVlen({ path, start, count, elementSize }) {
  const M = h5.Module;
  const table = count * 8; // hvl_t on wasm32: 4-byte length, 4-byte pointer
  const ptr = M._malloc(table);
  if (ptr === 0)
    return { error: { kind: "memory", message: `out of WebAssembly memory for ${count} entries` } };
  M.HEAPU8.fill(0, ptr, ptr + table);
  let reply;
  try {
    const status = M.get_dataset_data(
      file.file_id,
      `/${path}`,
      [BigInt(count)],
      [BigInt(start)],
      [1n],
      BigInt(ptr),
    );
    if (status < 0) return { error: { kind: "hdf5", message: `HDF5 returned status ${status}` } };
    const view = new DataView(M.HEAPU8.buffer);
    const lengths = new Uint32Array(count);
    let total = 0;
    for (let j = 0; j < count; j++) {
      const length = view.getUint32(ptr + 8 * j, true);
      const dataPtr = view.getUint32(ptr + 8 * j + 4, true);
      const bytes = length * elementSize;
      if (length > 0 && (dataPtr + bytes > view.byteLength || total + bytes > MAX_READ_BYTES)) {
        return { error: { kind: "damaged-entry", message: "damaged entry", index: j } };
      }
      lengths[j] = length;
      total += bytes;
    }
    const data = new Uint8Array(total);
    let position = 0;
    for (let j = 0; j < count; j++) {
      const bytes = lengths[j] * elementSize;
      if (bytes === 0) continue;
      const dataPtr = view.getUint32(ptr + 8 * j + 4, true);
      data.set(M.HEAPU8.subarray(dataPtr, dataPtr + bytes), position);
      position += bytes;
    }
    reply = { value: { lengths, data }, transfer: [lengths.buffer, data.buffer] };
  } finally {
    if (!broken) {
      try {
        M.reclaim_vlen_memory_count(file.file_id, `/${path}`, "", BigInt(ptr), [BigInt(count)]);
      } catch {
        // Reclaiming memory of a damaged read may fail; the read's own result decides.
      }
      M._free(ptr);
    }
  }
  return reply;
}

function handle(request) {
  switch (request.op) {
    case "open":
      file = new h5.File(request.file, "r");
      if (file.file_id < 0n) return { error: { kind: "hdf5", message: "HDF5 cannot open it" } };
      return { value: null };
    case "entity": {
      const entity = file.get(request.path);
      if (entity === null || entity === undefined) return { value: null };
      if (!(entity instanceof h5.Dataset)) return { value: { kind: "other" } };
      return { value: { kind: "dataset", metadata: entity.metadata } };
    }
    case "value": {
      const entity = file.get(request.path);
      if (!(entity instanceof h5.Dataset))
        return { error: { kind: "hdf5", message: `/${request.path} is not a dataset` } };
      return { value: entity.value };
    }
    case "readVlen":
      return readVlen(request);
    case "close":
      if (file !== undefined) file.close();
      file = undefined;
      return { value: null };
    default:
      return { error: { kind: "protocol", message: `unknown request ${String(request.op)}` } };
  }
}

port.on("message", (request) => {
  let reply;
  if (broken) {
    reply = { error: { kind: "abort", message: "HDF5 stopped after an earlier abort" } };
  } else {
    try {
      reply = handle(request);
    } catch (e) {
      reply = { error: errorOf(e) };
    }
  }
  if (reply.error !== undefined)
    port.postMessage({ id: request.id, ok: false, error: reply.error });
  else port.postMessage({ id: request.id, ok: true, value: reply.value }, reply.transfer ?? []);
});

try {
  h5 = await import("h5wasm/node");
  await h5.ready;
  // HDF5's diagnostics become exceptions (with the error stack in the message), never output.
  h5.Module.activate_throwing_error_handler();
  port.postMessage({ type: "ready", workerData });
} catch (e) {
  port.postMessage({ type: "failed", message: e instanceof Error ? e.message : String(e) });
}
