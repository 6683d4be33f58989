#!/usr/bin/env python3
"""Which BLAS library torch runs on, and with how many threads: shared by the PyTorch reference
scripts of @snn/bench (`bptt_lsnn.py`, `lstm_infer.py`, `bptt_smnist.py`), which import it
(a script's own directory is on sys.path).

A timing against PyTorch is only fair when torch runs on an optimised BLAS: Debian's
python3-torch links `libblas.so.3`, which is OpenBLAS where libopenblas0-pthread is installed and
netlib's reference BLAS (10-20x slower) where it is not. The answer comes from the shared
libraries this process has mapped (/proc/self/maps), after a small matrix product has made torch
load its BLAS; where none is mapped (a torch wheel with its BLAS linked in), from torch's build
information (`BLAS_INFO=` of torch.__config__.show()).

`blas_report()` returns
    {"blas": "OpenBLAS" | "MKL" | "BLIS" | "ATLAS" | "reference BLAS (netlib)" | "unknown",
     "blasThreads": int or None, "blasLibraries": [paths], "torchBlasInfo": str or None,
     "blasConfig": str (OpenBLAS only), "warning": str (netlib or unknown only)}

Run as a script, it prints that report as one JSON line with torch's version and threads:
    python3 blas_info.py [--threads N]
"""
import ctypes
import os
import re

NETLIB = "reference BLAS (netlib)"

# Shared libraries that may be a BLAS (or its LAPACK companion).
_BLAS_FILE = re.compile(r"(blas|mkl|blis|atlas|lapack)", re.I)
# Private copies bundled with numpy/scipy wheels: not what torch calls.
_PRIVATE_COPY = re.compile(r"(numpy|scipy)[^/]*[/.]libs/|/(numpy|scipy)/\.libs/", re.I)


def mapped_blas_libraries():
    """Paths of the BLAS-like shared libraries this process has mapped, sorted, no duplicates."""
    libraries = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) < 6:
                    continue
                path = parts[-1]
                if _BLAS_FILE.search(os.path.basename(path)) and not _PRIVATE_COPY.search(path):
                    libraries.add(path)
    except OSError:
        pass
    return sorted(libraries)


def classify(libraries, torch_blas_info=None):
    """The BLAS's name from the mapped libraries' paths, else from torch's BLAS_INFO, else "unknown"."""
    joined = " ".join(libraries).lower()
    if "openblas" in joined:
        return "OpenBLAS"
    if "mkl" in joined:
        return "MKL"
    if "blis" in joined:
        return "BLIS"
    if "atlas" in joined:
        return "ATLAS"
    if "libblas" in joined:
        # Debian's alternatives: an optimised BLAS lives in its own directory
        # (openblas-pthread/, blis-openmp/, atlas/); plain blas/ or the bare name is netlib's.
        return NETLIB
    info = (torch_blas_info or "").lower()
    if info.startswith("mkl"):
        return "MKL"
    if info.startswith("open"):
        return "OpenBLAS"
    return "unknown"


def _threads_of(kind, libraries):
    """The BLAS's own thread count where it can be asked (OpenBLAS, MKL); 1 for netlib's, which has none."""
    if kind == NETLIB:
        return 1
    symbol = {"OpenBLAS": "openblas_get_num_threads", "MKL": "mkl_get_max_threads"}.get(kind)
    key = "openblas" if kind == "OpenBLAS" else "mkl"
    for library in (lib for lib in libraries if key in lib.lower()):
        try:
            function = getattr(ctypes.CDLL(library), symbol)
        except (OSError, AttributeError, TypeError):
            continue
        function.restype = ctypes.c_int
        return int(function())
    return None


def blas_report(torch=None):
    """Which BLAS torch loaded (see the module's doc), its threads, and torch's build info."""
    if torch is None:
        import torch
    torch.ones(8, 8) @ torch.ones(8, 8)  # make sure the BLAS is loaded
    libraries = mapped_blas_libraries()
    match = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    torch_blas_info = match.group(1) if match else None
    kind = classify(libraries, torch_blas_info)
    report = {"blas": kind, "blasThreads": _threads_of(kind, libraries), "blasLibraries": libraries, "torchBlasInfo": torch_blas_info}
    if kind == "OpenBLAS":
        for library in (lib for lib in libraries if "openblas" in lib.lower()):
            try:
                function = ctypes.CDLL(library).openblas_get_config
            except (OSError, AttributeError):
                continue
            function.restype = ctypes.c_char_p
            report["blasConfig"] = function().decode()
            break
    if kind in (NETLIB, "unknown"):
        what = "the netlib reference BLAS" if kind == NETLIB else "an unknown BLAS"
        report["warning"] = (
            f"torch runs on {what}: its timings are not a fair peer; "
            "apt install libopenblas0-pthread, or set SNN_PYTHON to a python whose torch uses OpenBLAS/MKL"
        )
    return report


def main():
    import argparse
    import json

    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), **blas_report(torch)}), flush=True)


if __name__ == "__main__":
    main()
