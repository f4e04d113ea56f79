"""Shared by the tests: the package on the path, a trace reader that checks the format, a one-step training."""

import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

import unroll_trace  # noqa: E402
from unroll_trace import safetensors  # noqa: E402

METADATA_KEYS = {
    "format",
    "config",
    "step",
    "loss",
    "dtype",
    "rank",
    "world_size",
    "time",
    "rows",
    "batch",
    "h0",
    "training",
    "approximate",
}


def read_snapshot(test, path):
    """(tensors, metadata) of a snapshot, after checking the safetensors layout byte by byte."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    test.assertEqual(length % 8, 0, "the header is padded to a multiple of 8 bytes")
    header = json.loads(data[8 : 8 + length])
    meta = header.pop("__metadata__")
    test.assertTrue(all(isinstance(v, str) for v in meta.values()), "metadata values are strings")
    spans = sorted(tuple(info["data_offsets"]) for info in header.values())
    end = 0
    for begin, stop in spans:
        test.assertEqual(begin, end, "tensors are packed back to back")
        end = stop
    test.assertEqual(8 + length + end, len(data), "the data section ends at the end of the file")
    tensors, metadata = safetensors.load(path)
    test.assertEqual(metadata, meta)
    test.assertEqual(set(metadata), METADATA_KEYS)
    test.assertEqual(metadata["format"], "unroll-trace/1")
    return tensors, metadata


def read_index(path):
    with open(os.path.join(path, "index.jsonl"), encoding="utf-8") as f:
        text = f.read()
    assert text.endswith("\n"), "every index line ends with a newline"
    return [json.loads(line) for line in text.splitlines()]


def expected_names(layer, h0_given):
    """The tensor names docs/TRACE-FORMAT.md lists for this layer."""
    lstm = layer.mode == "LSTM"
    names = {"input", "h0", "output", "h_n", "grad_output", "grad_h_n"}
    if lstm:
        names |= {"c0", "c_n", "grad_c_n"}
    suffixes = ["", "_reverse"] if layer.bidirectional else [""]
    for k in range(layer.num_layers):
        for sfx in suffixes:
            params = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if layer.bias else [])
            if lstm and layer.proj_size > 0:
                params.append("weight_hr")
            for p in params:
                names |= {f"{p}_l{k}{sfx}", f"grad.{p}_l{k}{sfx}"}
    if h0_given:
        names.add("grad.h0")
        if lstm:
            names.add("grad.c0")
    return names


def make_inputs(layer, batch, steps, generator, dtype=torch.float32, h0=True, device="cpu"):
    """x in the layer's layout, and h0 (c0) with requires_grad, or None."""
    shape = (batch, steps, layer.input_size) if layer.batch_first else (steps, batch, layer.input_size)
    x = torch.randn(*shape, generator=generator, dtype=dtype).to(device)
    if not h0:
        return x, None
    k = layer.num_layers * (2 if layer.bidirectional else 1)
    p = layer.proj_size if getattr(layer, "proj_size", 0) > 0 else layer.hidden_size

    def state(size):
        return (0.5 * torch.randn(k, batch, size, generator=generator, dtype=dtype)).to(device).requires_grad_(True)

    if layer.mode == "LSTM":
        return x, (state(p), state(layer.hidden_size))
    return x, state(p)


def row_losses(layer, x, out, state):
    """A loss per row that uses the output sequence and the final state (so both gradients are non-zero)."""
    h_n = state[0] if layer.mode == "LSTM" else state
    seq = out if layer.batch_first else out.transpose(0, 1)  # B × T × ·
    per_row = (seq.sin() * torch.linspace(0.5, 1.5, seq.shape[-1], dtype=seq.dtype, device=seq.device)).sum((1, 2))
    per_row = per_row + (h_n**2).sum((0, 2))
    if layer.mode == "LSTM":
        per_row = per_row + 0.3 * state[1].sum((0, 2))
    return per_row


def train_step(layer, x, hx, tracer=None):
    """One forward and backward with the batch-mean loss; returns the loss."""
    out, state = layer(x, hx) if hx is not None else layer(x)
    loss = row_losses(layer, x, out, state).mean()
    if tracer is not None:
        tracer.loss(loss)
    loss.backward()
    return loss


__all__ = ["unroll_trace", "safetensors", "read_snapshot", "read_index", "expected_names", "make_inputs"]
