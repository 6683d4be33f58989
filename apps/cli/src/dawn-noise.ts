/**
 * Keeps Dawn's "Couldn't load Vulkan" warning off WebGPU runs on Linux machines without the
 * Vulkan loader (libvulkan.so.1), such as servers where Mesa's llvmpipe provides the adapter.
 *
 * Dawn writes that warning (and the line of its C++ source after it) straight to the process's
 * file descriptor 2 from native code, so it cannot be filtered from JavaScript in the same
 * process. It comes from Dawn's first attempt, its default backend (Vulkan on Linux), which
 * cannot succeed without the loader; the CLI then falls back to OpenGL ES anyway. So where the
 * loader is missing, the CLI asks for OpenGL ES directly and the warning is never produced.
 * Everything else Dawn prints (real errors included) is untouched, and machines with the
 * loader (a GPU with its Vulkan driver) keep Dawn's default choice.
 */

/** Dawn device options for `webgpuBackend({ node })`: `{ backend: "opengles" }` or `{}`. */
export interface DawnBackendChoice {
  readonly backend?: "opengles";
}

/**
 * Whether the dynamic loader finds `libvulkan.so.1` (the way Dawn looks for it). Loading it
 * with `process.dlopen` either fails with "cannot open shared object file" (not found) or
 * reaches Node's check for an add-on, which a system library fails in another way (found; Node
 * unloads it again).
 */
export function vulkanLoaderPresent(): boolean {
  try {
    process.dlopen({ exports: {} }, "libvulkan.so.1");
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return !/cannot open shared object file/i.test(message);
  }
}

/** The Dawn backend the CLI asks for: OpenGL ES on Linux without the Vulkan loader, else Dawn's default. */
export function quietDawnBackend(
  platform: string = process.platform,
  hasVulkanLoader: () => boolean = vulkanLoaderPresent,
): DawnBackendChoice {
  return platform === "linux" && !hasVulkanLoader() ? { backend: "opengles" } : {};
}
