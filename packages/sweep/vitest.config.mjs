import { packageTests } from "@snn/tooling/vitest";

export default packageTests();
