/**
 * The snippet language of @snn/core: model code is scanned, parsed and type-checked once
 * into the typed AST of `ast.ts`, which backends print to their target language.
 */
export type * from "./ast";
export type { SnippetContext, SnippetOptions, SymbolInfo } from "./environment";
export { checkSnippet } from "./checker";
export { SnippetError } from "./snippet-error";
export type { SnippetErrorCode, SnippetErrorDetails } from "./snippet-error";
