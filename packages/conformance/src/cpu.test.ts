import { cpuBackend } from "@snn/backend-cpu";
import { registerConformanceSuite } from "./index";

// The CPU backend is the reference, so it runs every case; the reference cases compare it with
// a second, independently compiled instance of itself.
registerConformanceSuite({ name: "cpu", backend: cpuBackend, reference: cpuBackend });
