export * from "./errors";
export * from "./description";
export * from "./compile";
export * from "./parameters";
export * from "./trial";
export * from "./eprop-runtime";
export * from "./gradcheck";
