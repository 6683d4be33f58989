import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { quietDawnBackend, vulkanLoaderPresent } from "./dawn-noise";

describe("quietDawnBackend", () => {
  it("asks for OpenGL ES only on Linux without the Vulkan loader", () => {
    expect(quietDawnBackend("linux", () => false)).toEqual({ backend: "opengles" });
    expect(quietDawnBackend("linux", () => true)).toEqual({});
    expect(quietDawnBackend("darwin", () => false)).toEqual({});
    expect(quietDawnBackend("win32", () => false)).toEqual({});
  });

  it.runIf(process.platform === "linux")(
    "finds libvulkan.so.1 exactly when the dynamic loader's cache lists it",
    () => {
      const ldconfig = spawnSync("/sbin/ldconfig", ["-p"], { encoding: "utf8" });
      // The cache is the oracle only where nothing else adds library folders.
      if (ldconfig.status !== 0 || (process.env["LD_LIBRARY_PATH"] ?? "") !== "") return;
      expect(vulkanLoaderPresent()).toBe(/\blibvulkan\.so\.1\b/.test(ldconfig.stdout));
    },
  );
});
