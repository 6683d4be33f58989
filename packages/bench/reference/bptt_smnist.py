#!/usr/bin/env python3
"""Surrogate-gradient BPTT reference for the `accuracy` suite of @snn/bench.

Trains the LSNN of `snn train --dataset smnist` with backpropagation through time in PyTorch,
on exactly what @snn/bench hands over in an exchange directory (written by
`src/bptt-exchange.ts`): the encoded input spikes (TypeScript's @snn/datasets encoder, binned
at dt), the labels, the loss mask, the e-prop trainer's initial parameters, the shuffled sample
order of every epoch and the Adam settings with the learning rate of every epoch. Only the
gradient differs from @snn/eprop's e-prop.

The network is @snn/eprop's docs/equations.md section 1, one hidden layer:

    a(t)   = rho a(t-1) + z(t-1)
    v(t)   = alpha v(t-1) + W_in x(t) + W_rec z(t-1) - v_th z(t-1)     (no self-connections)
    A(t)   = v_th + beta a(t)
    z(t)   = 1 when v(t) > A(t) and not refractory (n_ref steps after a spike, counting it)
    y(t)   = kappa y(t-1) + W_out z(t) + b
    pi(t)  = softmax(y(t))

with dz/dv = -dz/dA = psi(t) = (gamma / v_th) max(0, 1 - |v(t) - A(t)| / v_th), 0 while
refractory, as the surrogate derivative. The loss is the softmax cross-entropy on the masked
steps summed over steps and batch elements; the prediction is argmax_k sum_t m(t) pi_k(t).

Firing-rate regularisation as far as BPTT can express it: e-prop adds
c_reg (f_j(t) - f_target dt) e_ji(t) to the gradient of every weight into hidden neuron j every
step, with the running rate f_j(t) = alpha_f f_j(t-1) + (1 - alpha_f) z_j(t) and the
eligibility trace e_ji(t) (e-prop's approximation of dz_j(t)/dW_ji). Here the loss gets the
term sum_t sum_j c_reg sg(f_j(t) - f_target dt) z_j(t), sg = stop-gradient, whose gradient is
c_reg (f_j(t) - f_target dt) dz_j(t)/dW_ji with the full BPTT derivative in place of e_ji(t)
(it also flows through the recurrent weights, the reset and the adaptation, which e-prop's
trace omits). As in e-prop, the rate itself is not differentiated.

Modes:
  train    one JSON line per epoch ({"kind": "epoch", ...}) and a final {"kind": "result", ...},
           after an {"kind": "environment", ...} line naming torch, its threads and the BLAS
  forward  one batch of all training samples, no training: a JSON line with the hidden spikes
           ([sample, step, neuron] triples), the loss and prediction per sample, and the BPTT
           gradient of every parameter ([post][pre], summed over the batch) — for the test that
           checks that this forward pass is @snn/eprop's

Usage: python3 bptt_smnist.py EXCHANGE_DIR/spec.json [--mode train|forward] [--threads N]
Needs PyTorch and NumPy (Debian: apt install python3-torch libopenblas0-pthread).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

from blas_info import blas_report

DTYPES = {"float32": "<f4", "int32": "<i4"}


def read_array(base, entry):
    """An array of the exchange directory: {"file", "dtype", "shape"}, little-endian, row-major."""
    data = np.fromfile(os.path.join(base, entry["file"]), dtype=DTYPES[entry["dtype"]])
    expected = int(np.prod(entry["shape"])) if entry["shape"] else 1
    if data.size != expected:
        raise SystemExit(f"{entry['file']}: {data.size} values, expected {expected} for shape {entry['shape']}")
    return data.reshape(entry["shape"])


class SpikeFunction(torch.autograd.Function):
    """z = H(v - A) where not refractory; backward: the e-prop pseudo-derivative psi."""

    @staticmethod
    def forward(ctx, v, thr, active, v_th, psi_scale):
        ctx.save_for_backward(v, thr, active)
        ctx.v_th = v_th
        ctx.psi_scale = psi_scale
        return ((v > thr) & active).to(v.dtype)

    @staticmethod
    def backward(ctx, grad):
        v, thr, active = ctx.saved_tensors
        psi = ctx.psi_scale * torch.clamp(1.0 - torch.abs(v - thr) / ctx.v_th, min=0.0) * active.to(v.dtype)
        g = grad * psi
        return g, -g, None, None, None


class Lsnn:
    """The network of the exchange's spec, with its parameters as leaf tensors ([post][pre])."""

    def __init__(self, spec, base, dtype):
        net = spec["network"]
        self.num_inputs = net["numInputs"]
        self.num_hidden = net["numHidden"]
        self.num_outputs = net["numOutputs"]
        self.dt = net["dt"]
        self.dtype = dtype
        # Decays are passed as the doubles TypeScript computed (Math.exp) and rounded to the
        # tensors' float type, as @snn's backends round params to float32.
        self.alpha = torch.tensor(net["alpha"], dtype=dtype)
        self.rho = torch.tensor(net["rho"], dtype=dtype)
        self.kappa = torch.tensor(net["kappa"], dtype=dtype)
        self.v_th = torch.tensor(net["vThresh"], dtype=dtype)
        self.psi_scale = float(torch.tensor(net["gamma"] / net["vThresh"], dtype=dtype))
        self.beta = torch.tensor(net["beta"], dtype=dtype)
        self.adaptive = bool(torch.any(self.beta != 0))
        self.refractory_hold = max(int(net["refractorySteps"]) - 1, 0)
        reg = net.get("regularisation")
        self.reg = None
        if reg is not None:
            self.reg = {
                "alpha": torch.tensor(reg["alpha"], dtype=dtype),
                "strength": torch.tensor(reg["strength"], dtype=dtype),
                "target": torch.tensor(reg["targetPerStep"], dtype=dtype),
            }
        params = spec["parameters"]

        def leaf(name):
            entry = params.get(name)
            if entry is None:
                return None
            return torch.tensor(read_array(base, entry), dtype=dtype).requires_grad_()

        self.w_in = leaf("input")
        self.w_rec = leaf("recurrent")
        self.w_out = leaf("readout")
        self.bias = leaf("bias")
        self.no_self = 1.0 - torch.eye(self.num_hidden, dtype=dtype)
        self.names = {"input": params["input"]["name"], "readout": params["readout"]["name"], "bias": params["bias"]["name"]}
        if self.w_rec is not None:
            self.names["recurrent"] = params["recurrent"]["name"]

    def parameters(self):
        return [p for p in (self.w_in, self.w_rec, self.w_out, self.bias) if p is not None]

    def named_parameters(self):
        out = {self.names["input"]: self.w_in, self.names["readout"]: self.w_out, self.names["bias"]: self.bias}
        if self.w_rec is not None:
            out[self.names["recurrent"]] = self.w_rec
        return out

    def run(self, inputs, labels, mask, record_spikes=False, regularise=True):
        """Forward pass over a batch: inputs [T, B, I] 0/1, labels [B], mask [T] 0/1.

        Returns the summed cross-entropy (a tensor in the graph), the regulariser term (in the
        graph, or None), the masked softmax sums [B, K] (for the prediction), the loss per
        element [B], the spike count and, with record_spikes, the spikes [T, B, H].
        """
        steps, batch, _ = inputs.shape
        hidden = self.num_hidden
        dtype = self.dtype
        v = torch.zeros(batch, hidden, dtype=dtype)
        a = torch.zeros(batch, hidden, dtype=dtype)
        z = torch.zeros(batch, hidden, dtype=dtype)
        y = torch.zeros(batch, self.num_outputs, dtype=dtype)
        refractory_left = torch.zeros(batch, hidden, dtype=torch.int32)
        reg = self.reg if regularise else None
        rate = torch.zeros(batch, hidden, dtype=dtype) if reg is not None else None
        w_rec = self.w_rec * self.no_self if self.w_rec is not None else None
        w_rec_t = w_rec.t() if w_rec is not None else None
        w_out_t = self.w_out.t()
        # All steps' input currents in one product; unbind hands out the steps.
        input_current = (inputs @ self.w_in.t()).unbind(0)
        ce_total = torch.zeros((), dtype=dtype)
        ce_per_element = torch.zeros(batch, dtype=torch.float64)
        reg_total = torch.zeros((), dtype=dtype) if reg is not None else None
        pi_sum = torch.zeros(batch, self.num_outputs, dtype=torch.float64)
        spikes = [] if record_spikes else None
        spike_total = torch.zeros(batch, hidden, dtype=dtype)
        rows = torch.arange(batch)
        for t in range(steps):
            a = self.rho * a + z
            current = self.alpha * v + input_current[t]
            if w_rec_t is not None:
                current = current + z @ w_rec_t
            v = current - self.v_th * z
            thr = self.v_th + self.beta * a
            active = refractory_left <= 0
            refractory_left = torch.where(active, refractory_left, refractory_left - 1)
            z = SpikeFunction.apply(v, thr, active, float(self.v_th), self.psi_scale)
            spiked = z.detach() > 0
            refractory_left = torch.where(spiked, torch.full_like(refractory_left, self.refractory_hold), refractory_left)
            spike_total += z.detach()
            if record_spikes:
                spikes.append(spiked)
            y = self.kappa * y + z @ w_out_t + self.bias
            if reg is not None:
                rate = reg["alpha"] * rate + (1.0 - reg["alpha"]) * z.detach()
                reg_total = reg_total + ((reg["strength"] * (rate - reg["target"])) * z).sum()
            if mask[t] != 0:
                log_pi = torch.log_softmax(y, dim=1)
                ce = -log_pi[rows, labels]
                ce_total = ce_total + ce.sum()
                ce_per_element += ce.detach().to(torch.float64)
                pi_sum += log_pi.detach().exp().to(torch.float64)
        recorded = torch.stack(spikes) if record_spikes else None
        return ce_total, reg_total, pi_sum, ce_per_element, float(spike_total.sum()), recorded


class Split:
    """Encoded samples of one split: events (step * numInputs + unit) per sample, labels."""

    def __init__(self, base, entry, num_inputs, num_steps):
        self.count = entry["count"]
        self.offsets = read_array(base, entry["offsets"]).astype(np.int64)
        self.events = read_array(base, entry["events"]).astype(np.int64)
        self.labels = read_array(base, entry["labels"]).astype(np.int64)
        self.num_inputs = num_inputs
        self.num_steps = num_steps

    def batch(self, indices, dtype):
        """Dense inputs [T, B, I] and labels [B] of the samples `indices`."""
        x = torch.zeros(self.num_steps, len(indices), self.num_inputs, dtype=dtype)
        parts = [self.events[self.offsets[i]:self.offsets[i + 1]] for i in indices]
        codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        columns = np.concatenate([np.full(len(p), b, dtype=np.int64) for b, p in enumerate(parts)]) if parts else codes
        if codes.size > 0:
            steps = torch.from_numpy(codes // self.num_inputs)
            units = torch.from_numpy(codes % self.num_inputs)
            x[steps, torch.from_numpy(columns), units] = 1.0
        return x, torch.from_numpy(self.labels[np.asarray(indices, dtype=np.int64)])


def evaluate(model, split, mask, batch_size):
    """Accuracy and mean loss on a split, in dataset order, without gradients."""
    correct = 0
    loss = 0.0
    spikes = 0.0
    with torch.no_grad():
        for first in range(0, split.count, batch_size):
            indices = list(range(first, min(split.count, first + batch_size)))
            x, labels = split.batch(indices, model.dtype)
            _, _, pi_sum, ce, count, _ = model.run(x, labels, mask, regularise=False)
            correct += int((pi_sum.argmax(dim=1) == labels).sum())
            loss += float(ce.sum())
            spikes += count
    n = max(split.count, 1)
    rate = spikes / (n * model.num_hidden * split.num_steps * model.dt * 1e-3)
    return correct / n, loss / n, rate


def train(spec, base, threads):
    dtype = torch.float32
    model = Lsnn(spec, base, dtype)
    net = spec["network"]
    num_steps = spec["numSteps"]
    mask = [int(m) for m in spec["lossMask"]]
    train_split = Split(base, spec["train"], net["numInputs"], num_steps)
    test_split = Split(base, spec["test"], net["numInputs"], num_steps) if spec.get("test") else None
    training = spec["training"]
    orders = read_array(base, training["orders"])
    rates = training["learningRates"]
    batch_size = training["batchSize"]
    eval_batch = training.get("evalBatchSize", batch_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=rates[0], betas=(training["beta1"], training["beta2"]), eps=training["epsilon"])
    environment = {
        "kind": "environment",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "python": sys.version.split()[0],
        **blas_report(torch),
    }
    if "warning" in environment:
        environment["warning"] += " (the accuracy is still valid)"
    print(json.dumps(environment), flush=True)
    if "warning" in environment:
        print(f"warning: {environment['warning']}", file=sys.stderr, flush=True)
    train_seconds = 0.0
    eval_seconds = 0.0
    steps_taken = 0
    seen = 0
    last = None
    for epoch, lr in enumerate(rates):
        for group in optimizer.param_groups:
            group["lr"] = lr
        order = orders[epoch]
        start = time.perf_counter()
        loss_sum = 0.0
        correct = 0
        spikes = 0.0
        for first in range(0, len(order), batch_size):
            indices = order[first:first + batch_size].tolist()
            x, labels = train_split.batch(indices, dtype)
            ce_total, reg_total, pi_sum, ce, count, _ = model.run(x, labels, mask)
            objective = ce_total if reg_total is None else ce_total + reg_total
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            steps_taken += 1
            loss_sum += float(ce.sum())
            correct += int((pi_sum.argmax(dim=1) == labels).sum())
            spikes += count
            seen += len(indices)
        epoch_train = time.perf_counter() - start
        train_seconds += epoch_train
        n = max(len(order), 1)
        record = {
            "kind": "epoch",
            "epoch": epoch + 1,
            "learningRate": lr,
            "trainLoss": loss_sum / n,
            "trainAccuracy": correct / n,
            "firingRateHz": spikes / (n * model.num_hidden * num_steps * model.dt * 1e-3),
            "trainSeconds": epoch_train,
            "optimizerSteps": steps_taken,
        }
        if test_split is not None:
            start = time.perf_counter()
            accuracy, loss, rate = evaluate(model, test_split, mask, eval_batch)
            record["evalSeconds"] = time.perf_counter() - start
            eval_seconds += record["evalSeconds"]
            record.update({"testAccuracy": accuracy, "testLoss": loss, "testFiringRateHz": rate})
        print(json.dumps(record), flush=True)
        last = record
    print(json.dumps({
        "kind": "result",
        "epochs": len(rates),
        "trainSamplesSeen": seen,
        "optimizerSteps": steps_taken,
        "trainSeconds": train_seconds,
        "evalSeconds": eval_seconds,
        "wallSeconds": train_seconds + eval_seconds,
        "testAccuracy": last.get("testAccuracy") if last else None,
        "testLoss": last.get("testLoss") if last else None,
        "trainLoss": last.get("trainLoss") if last else None,
        "firingRateHz": last.get("firingRateHz") if last else None,
    }), flush=True)


def forward(spec, base, dtype):
    model = Lsnn(spec, base, dtype)
    net = spec["network"]
    num_steps = spec["numSteps"]
    mask = [int(m) for m in spec["lossMask"]]
    split = Split(base, spec["train"], net["numInputs"], num_steps)
    x, labels = split.batch(list(range(split.count)), dtype)
    ce_total, reg_total, pi_sum, ce, _, spikes = model.run(x, labels, mask, record_spikes=True)
    objective = ce_total if reg_total is None else ce_total + reg_total
    objective.backward()
    where = torch.nonzero(spikes.permute(1, 0, 2))  # [sample, step, neuron], sorted
    print(json.dumps({
        "kind": "forward",
        "spikes": where.tolist(),
        "loss": ce.tolist(),
        "predictions": pi_sum.argmax(dim=1).tolist(),
        "gradients": {name: p.grad.detach().to(torch.float64).flatten().tolist() for name, p in model.named_parameters().items()},
        "torch": torch.__version__,
    }), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", help="spec.json of an exchange directory written by @snn/bench")
    parser.add_argument("--mode", choices=["train", "forward"], default="train")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: the spec's, else torch's)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="forward mode only")
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    if spec.get("format") != "snn-bptt-exchange" or spec.get("version") != 1:
        raise SystemExit(f"{args.spec} is not a version-1 snn-bptt-exchange spec")
    base = os.path.dirname(os.path.abspath(args.spec))
    threads = args.threads if args.threads is not None else spec.get("threads")
    if threads:
        torch.set_num_threads(int(threads))
    if args.mode == "train":
        # Long exponentially decaying chains make float32 gradients subnormal, which x86
        # computes about 100x slower; flushing them to zero is what a tuned setup does.
        torch.set_flush_denormal(True)
        train(spec, base, threads)
    else:
        forward(spec, base, torch.float64 if args.dtype == "float64" else torch.float32)
    return 0


if __name__ == "__main__":
    sys.exit(main())
