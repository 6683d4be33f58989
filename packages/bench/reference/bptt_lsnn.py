#!/usr/bin/env python3
"""Surrogate-gradient BPTT reference for the `eprop` suite of @snn/bench.

Trains the benchmark's network with backpropagation through time in PyTorch and prints, per
trial length, the seconds per training batch and the peak resident memory, as JSON lines:

    {"steps": 250, "secondsPerBatch": 0.15, "minSecondsPerBatch": 0.14, "peakRssBytes": ...,
     "threads": 2, "blas": "OpenBLAS", "blasThreads": 1, "blasLibraries": [...], ...}

Each line names the BLAS torch loaded and its threads (blas_info.py): a timing on netlib's
reference BLAS is not a fair peer, and @snn/bench then gives no speed-up.

The network matches the suite's: `inputs` Bernoulli input channels (rate per step) -> `hidden`
recurrent LIF (or ALIF) neurons -> `outputs` leaky-integrator readouts with a softmax
cross-entropy loss on every step, batch `batch`, dt = 1 ms, tau_mem 20 ms, tau_out 20 ms,
threshold 0.6, the pseudo-derivative 0.3 max(0, 1 - |v - thr| / thr), Adam. A training batch
is the forward pass over T steps, the backward pass and one Adam step.

Usage: python3 bptt_lsnn.py [--steps 250,500,1000,2000] [--neuron lif|alif] [--threads 2]
Needs PyTorch (Debian: apt install python3-torch libopenblas0-pthread).
"""
import argparse
import json
import math
import resource
import sys
import time

import torch

from blas_info import blas_report


class SpikeFunction(torch.autograd.Function):
    """Heaviside step forward, the e-prop pseudo-derivative backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 0.3 * torch.clamp(1.0 - torch.abs(x) / 0.6, min=0.0)


def train_batch(model, optimizer, inputs, labels, adaptive):
    w_in, w_rec, w_out, bias = model
    steps, batch, _ = inputs.shape
    hidden = w_rec.shape[0]
    alpha = math.exp(-1.0 / 20.0)
    kappa = math.exp(-1.0 / 20.0)
    rho = math.exp(-1.0 / 2000.0)
    beta = 0.0174 if adaptive else 0.0
    v = torch.zeros(batch, hidden)
    a = torch.zeros(batch, hidden)
    z = torch.zeros(batch, hidden)
    y = torch.zeros(batch, w_out.shape[1])
    no_self = 1.0 - torch.eye(hidden)
    # All steps' input currents in one product; unbind (not indexing, whose backward would
    # allocate a [T][batch][hidden] gradient per step) hands out the steps.
    input_current = (inputs @ w_in).unbind(0)
    loss = 0.0
    for t in range(steps):
        a = rho * a + z
        thr = 0.6 + beta * a
        v = alpha * v + input_current[t] + z @ (w_rec * no_self) - z * 0.6
        z = SpikeFunction.apply(v - thr)
        y = kappa * y + z @ w_out + bias
        loss = loss + torch.nn.functional.cross_entropy(y, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="250,500,1000,2000")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--inputs", type=int, default=700)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--outputs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--neuron", choices=["lif", "alif"], default="lif")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # Long exponentially decaying chains make float32 gradients subnormal, which x86 computes
    # about 100x slower; flushing them to zero is what a tuned training setup does.
    torch.set_flush_denormal(True)
    torch.manual_seed(1)
    w_in = (torch.randn(args.inputs, args.hidden) / math.sqrt(args.inputs)).requires_grad_()
    w_rec = (torch.randn(args.hidden, args.hidden) / math.sqrt(args.hidden)).requires_grad_()
    w_out = (torch.randn(args.hidden, args.outputs) / math.sqrt(args.hidden)).requires_grad_()
    bias = torch.zeros(args.outputs, requires_grad=True)
    model = (w_in, w_rec, w_out, bias)
    optimizer = torch.optim.Adam(model, lr=0.001)
    labels = torch.arange(args.batch) % args.outputs
    adaptive = args.neuron == "alif"
    lengths = [int(s) for s in args.steps.split(",")]
    blas = blas_report(torch)
    # untimed warm-up at the first length
    train_batch(model, optimizer, (torch.rand(lengths[0], args.batch, args.inputs) < args.rate).float(), labels, adaptive)
    for steps in lengths:
        inputs = (torch.rand(steps, args.batch, args.inputs) < args.rate).float()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            train_batch(model, optimizer, inputs, labels, adaptive)
            times.append(time.perf_counter() - start)
        times.sort()
        print(json.dumps({
            "steps": steps,
            "neuron": args.neuron,
            "secondsPerBatch": times[(len(times) - 1) // 2],
            "minSecondsPerBatch": times[0],
            "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            **blas,
        }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
