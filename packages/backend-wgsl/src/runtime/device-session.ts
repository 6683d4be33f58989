/// <reference types="webgpu" />
import { RuntimeUsageError, SnnError } from "@snn/core";
import { DeviceLostError } from "../errors";
import { BufferUsage, MapMode } from "./gpu";

/**
 * A runtime's hold on its device: whether it may still be used (not disposed, the device not
 * lost, no command failed), and reads back from the device that report those failures as such.
 */
export class DeviceSession {
  private ended = false;
  private lost: DeviceLostError | null = null;
  private failure: string | null = null;
  private readonly removeErrorListener: () => void;

  constructor(readonly device: GPUDevice) {
    device.lost.then((info) => {
      this.lost ??= new DeviceLostError(info.reason, info.message);
    });
    const onError = (event: Event): void => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.failure ??= error?.message ?? String(error);
    };
    device.addEventListener?.("uncapturederror", onError);
    this.removeErrorListener = () => device.removeEventListener?.("uncapturederror", onError);
  }

  /** Throws when the runtime was disposed, its device lost, or an earlier command failed. */
  check(call: string): void {
    if (this.ended)
      throw new RuntimeUsageError(
        `${call}: this runtime was disposed; compile the network again to keep simulating.`,
      );
    if (this.lost) throw this.lost;
    if (this.failure !== null) {
      throw new SnnError(
        `${call}: an earlier WebGPU command failed: ${this.failure}. This is a bug in @snn/backend-wgsl; please report it with the network.`,
      );
    }
  }

  /**
   * Ends the session (the runtime is disposed). Returns whether the runtime should destroy its
   * buffers: false when it had ended already or the device is lost.
   */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    this.removeErrorListener();
    return this.lost === null;
  }

  /** Copies `size` bytes of a buffer from byte `offset` to the host. */
  async readBuffer(
    source: GPUBuffer,
    offset: number,
    size: number,
    call: string,
  ): Promise<ArrayBuffer> {
    const bytes = Math.ceil(size / 4) * 4;
    if (bytes === 0) return new ArrayBuffer(0);
    const staging = this.device.createBuffer({
      label: `read ${call}`,
      size: bytes,
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder({ label: call });
    encoder.copyBufferToBuffer(source, offset, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    try {
      await this.guard(call, () => staging.mapAsync(MapMode.READ));
      this.check(call);
      return staging.getMappedRange().slice(0, size);
    } finally {
      if (staging.mapState === "mapped") staging.unmap();
      staging.destroy();
    }
  }

  /** Runs a device operation; if it fails because the device was lost, reports that instead. */
  async guard<T>(call: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      // The lost promise may settle just after the failing operation.
      await Promise.race([this.device.lost, new Promise((resolve) => setTimeout(resolve, 50))]);
      if (this.lost) throw this.lost;
      throw new SnnError(
        `${call}: WebGPU failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
