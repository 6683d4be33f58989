/// <reference types="webgpu" />
import { WebGpuUnavailableError } from "./errors";

/** Options of {@link createNodeDevice}. */
export interface NodeDeviceOptions {
  /**
   * Dawn backend: `opengles` (Mesa llvmpipe on machines without a GPU), `vulkan`, `metal`,
   * `d3d12`, ... Default: Dawn's default backend first (a real GPU), then `opengles`.
   */
  readonly backend?: string;
  /**
   * WebGPU feature level. Default `core`, except `compatibility` for the `opengles` backend
   * (which offers no core adapter).
   */
  readonly featureLevel?: "core" | "compatibility";
  readonly powerPreference?: "low-power" | "high-performance";
  /**
   * Value for the `EGL_PLATFORM` environment variable when it is unset, used by the `opengles`
   * backend (Mesa without a display needs `surfaceless`). Default `surfaceless`; `false` leaves
   * the environment alone.
   */
  readonly eglPlatform?: string | false;
  /** Extra Dawn options passed to `create()`, e.g. `enable-dawn-features=...`. */
  readonly dawnOptions?: readonly string[];
}

/** A device with a description of the adapter it came from. */
export interface NodeDevice {
  readonly device: GPUDevice;
  /** Adapter and driver, e.g. "llvmpipe (OpenGL ES 3.2 Mesa 22.3.6)", and the options used. */
  readonly description: string;
  readonly backend: string;
  readonly featureLevel: "core" | "compatibility";
}

interface Attempt {
  readonly backend: string | null;
  readonly featureLevel: "core" | "compatibility";
}

/**
 * Objects returned by the `webgpu` package's `create()` must stay reachable while any device
 * made from them lives: if one is garbage-collected, Dawn crashes the process.
 */
const LIVE_INSTANCES = Symbol.for("@snn/backend-wgsl.dawn-instances");

/**
 * Keeps a Dawn instance alive for the life of the process. The list lives on `globalThis`
 * (not in a module variable that nothing reads, which a bundler's tree shaking removes, as it
 * did in the built package) and is shared by every copy of this module.
 */
function keepAlive(instance: unknown): void {
  const holder = globalThis as unknown as Record<symbol, unknown[] | undefined>;
  (holder[LIVE_INSTANCES] ??= []).push(instance);
}

type WebGpuModule = { create(options: string[]): GPU };

let modulePromise: Promise<WebGpuModule> | undefined;

async function loadWebGpu(): Promise<WebGpuModule> {
  // A computed specifier keeps browser bundlers from trying to bundle Dawn's native add-on.
  const specifier = "webgpu";
  modulePromise ??= import(/* @vite-ignore */ /* webpackIgnore: true */ specifier).then(
    (m) => m as unknown as WebGpuModule,
    (error: unknown) => {
      modulePromise = undefined;
      throw new WebGpuUnavailableError(
        `The 'webgpu' package (Dawn for Node) could not be loaded: ${error instanceof Error ? error.message : String(error)}. Install it with 'npm install webgpu@0.6.2' (it ships prebuilt binaries for Linux, macOS and Windows on x64 and arm64), or use the CPU backend.`,
      );
    },
  );
  return modulePromise;
}

/** What to install so that an adapter appears, for the error message. */
export const NO_ADAPTER_ADVICE =
  "On Linux without a GPU, install Mesa's EGL and llvmpipe (`apt-get install -y libegl-dev libegl-mesa0 libgl1-mesa-dri`) and set EGL_PLATFORM=surfaceless in the environment before Node starts " +
  "(e.g. `EGL_PLATFORM=surfaceless node app.js`); with a GPU, install its Vulkan driver (libvulkan1 and the vendor's driver). Or use the CPU backend (@snn/backend-cpu).";

/**
 * Creates a WebGPU device in Node through Dawn (the `webgpu` package), requesting the adapter's
 * own limits (the defaults allow only 8 storage buffers per shader stage and 128 threads per
 * workgroup). Throws {@link WebGpuUnavailableError} saying what to install when no adapter exists.
 *
 * ```ts
 * const { device, description } = await createNodeDevice(); // GPU if there is one, else llvmpipe
 * const backend = webgpuBackend({ device });
 * ```
 */
export async function createNodeDevice(options: NodeDeviceOptions = {}): Promise<NodeDevice> {
  const attempts: Attempt[] =
    options.backend !== undefined || options.featureLevel !== undefined
      ? [
          {
            backend: options.backend ?? null,
            featureLevel:
              options.featureLevel ?? (options.backend === "opengles" ? "compatibility" : "core"),
          },
        ]
      : [
          { backend: null, featureLevel: "core" },
          { backend: "opengles", featureLevel: "compatibility" },
        ];
  const webgpu = await loadWebGpu();
  const tried: string[] = [];
  for (const attempt of attempts) {
    if (attempt.backend === "opengles" && options.eglPlatform !== false) {
      const env = (
        globalThis as { process?: { env: Record<string, string | undefined>; platform?: string } }
      ).process;
      if (env && env.platform === "linux" && env.env.EGL_PLATFORM === undefined)
        env.env.EGL_PLATFORM = options.eglPlatform ?? "surfaceless";
    }
    const flags = [
      ...(attempt.backend ? [`backend=${attempt.backend}`] : []),
      ...(options.dawnOptions ?? []),
    ];
    const label = `${attempt.backend ?? "default backend"} with featureLevel ${attempt.featureLevel}`;
    tried.push(label);
    let gpu: GPU;
    try {
      gpu = webgpu.create(flags);
    } catch (error) {
      throw new WebGpuUnavailableError(
        `Dawn rejected the options [${flags.join(", ")}]: ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
    keepAlive(gpu);
    let adapter: GPUAdapter | null;
    try {
      adapter = await gpu.requestAdapter({
        featureLevel: attempt.featureLevel,
        ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
      } as GPURequestAdapterOptions);
    } catch (error) {
      throw new WebGpuUnavailableError(
        `Dawn rejected the options [${flags.join(", ")}]: ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
    if (!adapter) continue;
    const device = await requestDeviceWithAdapterLimits(adapter);
    const info = adapter.info;
    const name =
      [info.vendor, info.architecture, info.device].filter((s) => s && s.length > 0).join(" ") ||
      "WebGPU adapter";
    return {
      device,
      description: `${name}${info.description ? ` (${info.description})` : ""}; Dawn ${label}`,
      backend: attempt.backend ?? "default",
      featureLevel: attempt.featureLevel,
    };
  }
  throw new WebGpuUnavailableError(
    `No WebGPU adapter was found (tried Dawn's ${tried.join("; then ")}). ${NO_ADAPTER_ADVICE}`,
  );
}

/** Requests a device with every limit the adapter supports (instead of WebGPU's low defaults). */
export async function requestDeviceWithAdapterLimits(
  adapter: GPUAdapter,
  label = "@snn/backend-wgsl",
): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, unknown>;
  for (const key in limits) {
    const value = limits[key];
    if (typeof value === "number") requiredLimits[key] = value;
  }
  return adapter.requestDevice({ label, requiredLimits });
}

/** A device from the browser's `navigator.gpu`, or null when the page has no WebGPU adapter. */
export async function createBrowserDevice(): Promise<GPUDevice | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  return requestDeviceWithAdapterLimits(adapter);
}
