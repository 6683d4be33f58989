import { open, stat } from "node:fs/promises";
import { DatasetFormatError } from "../errors";

/** The 8-byte HDF5 format signature. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** What a file looks like from its first bytes. */
export type FileKind = "hdf5" | "gzip" | "zip" | "unknown";

function matches(bytes: Uint8Array, offset: number, pattern: readonly number[]): boolean {
  for (let i = 0; i < pattern.length; i++) if (bytes[offset + i] !== pattern[i]) return false;
  return true;
}

function readAddress(view: DataView, offset: number, size: number): bigint | undefined {
  if (offset + size > view.byteLength) return undefined;
  let value = 0n;
  let allOnes = true;
  for (let i = size - 1; i >= 0; i--) {
    const b = view.getUint8(offset + i);
    if (b !== 0xff) allOnes = false;
    value = (value << 8n) | BigInt(b);
  }
  return allOnes ? undefined : value;
}

/**
 * Checks a file before HDF5 sees it, so that a wrong file gives a clear error instead of
 * HDF5's diagnostics: it must exist, be a regular file, carry the HDF5 signature (at offset 0
 * or a user-block offset 512, 1024, 2048, ...), and be at least as long as the end-of-file
 * address its superblock records (otherwise it is truncated). Returns what the file is; throws
 * `DatasetFormatError` for anything but HDF5, gzip or zip.
 */
export async function inspectFile(file: string): Promise<FileKind> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile())
      throw new DatasetFormatError(`${file} is not a regular file; pass the path of an .h5 file.`, {
        file,
      });
    size = info.size;
  } catch (e) {
    if (e instanceof DatasetFormatError) throw e;
    throw new DatasetFormatError(
      `Cannot open ${file}: ${(e as Error).message}. Check the path (download SHD/SSC from https://zenkelab.org/datasets/).`,
      { file },
    );
  }
  const handle = await open(file, "r");
  try {
    const head = new Uint8Array(Math.min(size, 512));
    await handle.read(head, 0, head.length, 0);
    if (matches(head, 0, [0x1f, 0x8b])) return "gzip";
    if (matches(head, 0, [0x50, 0x4b, 0x03, 0x04])) return "zip";
    let sig = -1;
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const bytes = new Uint8Array(8);
      await handle.read(bytes, 0, 8, offset);
      if (matches(bytes, 0, HDF5_SIGNATURE)) {
        sig = offset;
        break;
      }
    }
    if (sig < 0) {
      throw new DatasetFormatError(
        size === 0
          ? `${file} is empty; download it again.`
          : `${file} is not an HDF5 file (no HDF5 signature found). Pass an SHD/SSC .h5 file.`,
        { file },
      );
    }
    const sb = new Uint8Array(Math.min(96, size - sig));
    await handle.read(sb, 0, sb.length, sig);
    const view = new DataView(sb.buffer);
    const version = sb[8];
    let eof: bigint | undefined;
    if (version === 0 || version === 1) {
      const o = sb[13] ?? 8;
      const pos = version === 0 ? 24 : 28;
      eof = readAddress(view, pos + 2 * o, o);
    } else if (version !== undefined && version >= 2) {
      const o = sb[9] ?? 8;
      eof = readAddress(view, 12 + 2 * o, o);
    }
    if (sb.length < 48) {
      throw new DatasetFormatError(
        `${file} is truncated: it ends inside the HDF5 superblock (${size} bytes). Download it again.`,
        { file },
      );
    }
    if (eof !== undefined) {
      // The end-of-file address counts from the start of the file, user block included (files
      // written by HDF5 with a 1024-byte user block store base 1024 and eof = the file size).
      const needed = eof;
      if (BigInt(size) < needed) {
        throw new DatasetFormatError(
          `${file} is truncated: the HDF5 superblock says the file is ${needed} bytes long but it has ${size}. Download or copy it again.`,
          { file },
        );
      }
    }
    return "hdf5";
  } finally {
    await handle.close();
  }
}
