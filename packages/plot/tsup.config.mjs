import { packageBuild } from "@snn/tooling/tsup";

export default packageBuild();
