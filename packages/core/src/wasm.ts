/** The `wasm` namespace of `@snn/core/internal`: the assembler and its listing. */
export * from "./wasm-assembler";
export { listFunctions } from "./wasm-listing";
