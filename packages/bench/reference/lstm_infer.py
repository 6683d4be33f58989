#!/usr/bin/env python3
"""LSTM inference reference for the `inference` suite of @snn/bench.

Times the forward pass of an LSTM classifier over spiking sequential MNIST-shaped input
(`steps` steps of `inputs` 0/1 channels, a linear readout of the last step's hidden state) in
PyTorch, and prints per (hidden size, batch size) the milliseconds per batch and per sample, as
JSON lines:

    {"hidden": 128, "batch": 1, "msPerBatch": 9.1, "minMsPerBatch": 8.9, "msPerSample": 9.1, ...,
     "threads": 2, "blas": "OpenBLAS", "blasThreads": 1, "blasLibraries": [...], ...}

An LSTM's work does not depend on the values of its input, so the input is random 0/1 at the
given rate. The model runs under torch.no_grad() in eval mode (nn.LSTM's fused CPU kernel),
with `threads` intra-op threads, after warm-up passes; the figures are medians of `repeats`. Each line names the BLAS torch
loaded and its threads (blas_info.py): on netlib's reference BLAS the LSTM is not a fair peer.

Usage: python3 lstm_infer.py [--steps 784] [--inputs 79] [--hidden 128,256] [--outputs 10]
                             [--batch 1,32] [--rate 0.02] [--repeats 20] [--threads 2]
Needs PyTorch (Debian: apt install python3-torch libopenblas0-pthread).
"""
import argparse
import json
import statistics
import time

import torch

from blas_info import blas_report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=784)
    parser.add_argument("--inputs", type=int, default=79)
    parser.add_argument("--hidden", default="128,256")
    parser.add_argument("--outputs", type=int, default=10)
    parser.add_argument("--batch", default="1,32")
    parser.add_argument("--rate", type=float, default=0.02)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    blas = blas_report(torch)
    for hidden in [int(h) for h in args.hidden.split(",")]:
        lstm = torch.nn.LSTM(args.inputs, hidden, batch_first=False).eval()
        readout = torch.nn.Linear(hidden, args.outputs).eval()
        parameters = sum(p.numel() for p in lstm.parameters()) + sum(p.numel() for p in readout.parameters())
        for batch in [int(b) for b in args.batch.split(",")]:
            inputs = (torch.rand(args.steps, batch, args.inputs) < args.rate).float()
            times = []
            with torch.no_grad():
                for k in range(3 + args.repeats):
                    start = time.perf_counter()
                    output, _ = lstm(inputs)
                    logits = readout(output[-1])
                    predictions = logits.argmax(dim=1)
                    elapsed = time.perf_counter() - start
                    if k >= 3:
                        times.append(elapsed * 1000.0)
            median = statistics.median(times)
            print(json.dumps({
                "hidden": hidden,
                "batch": batch,
                "steps": args.steps,
                "parameters": parameters,
                "msPerBatch": median,
                "minMsPerBatch": min(times),
                "msPerSample": median / batch,
                "predictions": int(predictions.numel()),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                **blas,
            }), flush=True)


if __name__ == "__main__":
    main()
