#!/usr/bin/python3
"""Generate the small HDF5 files in the SHD/SSC layout used by the @snn/datasets tests.

Run with Debian's h5py (apt-get install -y python3-h5py):

    /usr/bin/python3 packages/datasets/scripts/make-test-h5.py

The output is deterministic (fixed seed, gzip mtime 0) and committed under
packages/datasets/test-data/, so the tests themselves need no Python.

Layout (as in the published SHD/SSC files):
  /spikes/times   variable-length floats, seconds
  /spikes/units   variable-length unsigned ints, channel ids
  /labels         one integer class per sample
  /extra/speaker  one integer per sample
  /extra/keys     class names
  /extra/meta_info/*  (a few fields; ignored by the reader)
"""
import gzip
import json
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test-data")
NUM_CHANNELS = 700
KEYS = ["zero", "one", "two", "three"]


def make_samples():
    """8 samples; sample 0 is hand-made with known bins, sample 5 is empty."""
    rng = np.random.default_rng(20240611)
    times, units = [], []
    # Sample 0: at dt = 1 ms -> step 0: unit 3 (twice, merged); step 1: units 5 and 699; step 10: unit 3.
    times.append(np.array([0.0, 0.0004, 0.0015, 0.0015, 0.0105]))
    units.append(np.array([3, 3, 5, 699, 3]))
    for i in range(1, 8):
        n = 0 if i == 5 else int(rng.integers(20, 60))
        t = np.sort(rng.uniform(0.0, 0.05, size=n))
        u = rng.integers(0, NUM_CHANNELS, size=n)
        times.append(t)
        units.append(u)
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3], dtype=np.uint8)
    speakers = np.array([1, 2, 3, 1, 2, 3, 1, 2], dtype=np.uint16)
    return times, units, labels, speakers


def write(name, times, units, labels, speakers, time_dtype="<f4", unit_dtype="<u2",
          keys_vlen=True, skip=(), label_dtype=None, userblock_size=0, libver="earliest"):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w", libver=libver, userblock_size=userblock_size) as f:
        if "times" not in skip:
            dt = h5py.vlen_dtype(np.dtype(time_dtype))
            ds = f.create_dataset("spikes/times", shape=(len(times),), dtype=dt)
            for i, t in enumerate(times):
                ds[i] = np.asarray(t, dtype=time_dtype)
        if "units" not in skip:
            du = h5py.vlen_dtype(np.dtype(unit_dtype))
            ds = f.create_dataset("spikes/units", shape=(len(units),), dtype=du)
            for i, u in enumerate(units):
                ds[i] = np.asarray(u, dtype=unit_dtype)
        if "labels" not in skip:
            f.create_dataset("labels", data=np.asarray(labels, dtype=label_dtype or labels.dtype))
        f.create_dataset("extra/speaker", data=speakers)
        if "keys" not in skip:
            if keys_vlen:
                f.create_dataset("extra/keys", data=KEYS, dtype=h5py.string_dtype("utf-8"))
            else:
                f.create_dataset("extra/keys", data=np.array([k.encode() for k in KEYS], dtype="S8"))
        meta = f.create_group("extra/meta_info")
        meta.create_dataset("gender", data=np.array([b"female", b"male"], dtype="S6"))
        meta.create_dataset("age", data=np.array([30, 40], dtype=np.uint8))
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    times, units, labels, speakers = make_samples()
    expected = {"numChannels": NUM_CHANNELS, "keys": KEYS, "labels": labels.tolist(),
                "speakers": speakers.tolist(), "samples": {}}

    p32 = write("shd-float32.h5", times, units, labels, speakers, "<f4", "<u2", keys_vlen=True)
    write("shd-float16.h5", times, units, labels, speakers, "<f2", "<u2", keys_vlen=False)
    write("shd-float64-big-endian.h5", times, units, labels, speakers, ">f8", ">u4", keys_vlen=True,
          label_dtype=">i4")
    # A 1024-byte user block before the HDF5 data (the signature is then at offset 1024).
    write("shd-userblock.h5", times, units, labels, speakers, "<f4", "<u2", userblock_size=1024)
    # The newest file format (superblock version 3, chunked/indexed storage).
    write("shd-libver-latest.h5", times, units, labels, speakers, "<f2", "<u2", libver="latest")
    # The exact values each file stores, in seconds, as float64 (what a correct decoder must return).
    for dtype, key in (("<f4", "float32"), ("<f2", "float16"), (">f8", "float64")):
        expected["samples"][key] = [np.asarray(t, dtype=dtype).astype(np.float64).tolist() for t in times]
    expected["units"] = [np.asarray(u).astype(int).tolist() for u in units]
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)

    with open(p32, "rb") as src, open(os.path.join(OUT, "shd-float32.h5.gz"), "wb") as raw:
        with gzip.GzipFile(filename="shd-float32.h5", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(src.read())

    # Malformed variants, one fault each.
    write("bad-missing-units.h5", times, units, labels, speakers, skip=("units",))
    write("bad-missing-labels.h5", times, units, labels, speakers, skip=("labels",))
    t = [x.copy() for x in times]
    t[2] = t[2][:-1]  # sample 2: one time fewer than units
    write("bad-length-mismatch.h5", t, units, labels, speakers)
    write("bad-count-mismatch.h5", times, units[:-1], labels, speakers)  # 8 times, 7 units
    u = [x.copy() for x in units]
    u[3][0] = NUM_CHANNELS  # sample 3: unit id 700 with 700 channels
    write("bad-unit-out-of-range.h5", times, u, labels, speakers)
    t = [x.copy() for x in times]
    t[4][1] = -0.002  # sample 4: negative time
    write("bad-negative-time.h5", t, units, labels, speakers)
    t = [x.copy() for x in times]
    t[6][0] = np.nan  # sample 6: NaN time
    write("bad-nan-time.h5", t, units, labels, speakers)
    lab = labels.copy()
    lab[7] = len(KEYS)  # sample 7: label 4 with 4 classes
    write("bad-label-out-of-range.h5", times, units, lab, speakers)
    write("bad-float-units.h5", times, units, labels, speakers, unit_dtype="<f4")
    # No samples at all: the layout is right but there is nothing to train or test on.
    write("bad-empty.h5", [], [], np.zeros(0, dtype=labels.dtype), np.zeros(0, dtype=speakers.dtype))

    with open(p32, "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "bad-truncated.h5"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    # Intact superblock and metadata, but the global heap that holds the variable-length
    # spike arrays is overwritten: HDF5 itself fails when reading spikes.
    # (Fixed-length class names, so that opening succeeds and only reading spikes fails.)
    tmp = write("bad-corrupt-heap.h5", times, units, labels, speakers, keys_vlen=False)
    with open(tmp, "rb") as f:
        heap_data = f.read()
    gcol = heap_data.find(b"GCOL")
    assert gcol > 0
    with open(tmp, "wb") as f:
        f.write(heap_data[:gcol] + b"\xff" * 64 + heap_data[gcol + 64:])
    with open(os.path.join(OUT, "bad-not-hdf5.h5"), "wb") as f:
        f.write(b"this is a text file, not HDF5\n" * 20)


if __name__ == "__main__":
    main()
