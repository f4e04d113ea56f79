"""Traces of every layer variant, for replay tests: one `<variant>.unroll-trace` folder per variant under OUTDIR,
each with snapshots at steps 0 and 1 of a small training (Adam, a loss on the output sequence and the final state).

    /usr/bin/python3 python/tests/variant_traces.py OUTDIR [--dtype float64]

Variants: bidirectional, proj_size, GRU, RNN relu and tanh, batch_first False, bias False, h0 given or None, and one
with dropout between layers (marked approximate). Prints one line per folder written.
"""

import argparse
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helpers import make_inputs, train_step, unroll_trace  # noqa: E402

VARIANTS = {
    "lstm-2layer-bidirectional-proj": lambda: nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=4,
                                                      batch_first=True),
    "lstm-nobias-seqfirst": lambda: nn.LSTM(3, 5, bias=False),
    "gru-2layer-seqfirst": lambda: nn.GRU(3, 5, num_layers=2),
    "gru-bidirectional": lambda: nn.GRU(3, 4, bidirectional=True, batch_first=True),
    "rnn-relu": lambda: nn.RNN(3, 5, nonlinearity="relu", batch_first=True),
    "rnn-tanh-2layer-bidirectional-nobias": lambda: nn.RNN(3, 5, num_layers=2, bias=False, bidirectional=True),
    "lstm-2layer-dropout": lambda: nn.LSTM(3, 5, num_layers=2, dropout=0.3, batch_first=True),
}


def write_all(outdir, dtype=torch.float64, batch=5, steps=7, sequences=3):
    """Write every variant's trace under `outdir`; returns the folders."""
    folders = []
    for label, make in VARIANTS.items():
        for h0 in (True, False):
            torch.manual_seed(0)
            layer = make().to(dtype)
            opt = torch.optim.Adam(layer.parameters(), lr=0.05)
            g = torch.Generator().manual_seed(1)
            path = os.path.join(outdir, f"{label}-{'h0' if h0 else 'noh0'}.unroll-trace")
            with unroll_trace.watch(layer, path, every=1, sequences=sequences) as tracer:
                for _ in range(2):
                    x, hx = make_inputs(layer, batch, steps, g, dtype=dtype, h0=h0)
                    opt.zero_grad()
                    train_step(layer, x, hx, tracer)
                    opt.step()
            if tracer.error is not None:
                raise tracer.error
            folders.append(path)
    return folders


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("outdir")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    for folder in write_all(args.outdir, getattr(torch, args.dtype)):
        print(folder)


if __name__ == "__main__":
    main()
