"""A real distributed training, traced: an embedding + 2-layer LSTM + linear character model trained with
DistributedDataParallel on CPU (gloo, localhost), `--world-size` processes, traced by unroll_trace on rank 0.

    /usr/bin/python3 python/tests/ddp_char_lstm.py runs/char.unroll-trace [--dtype float64] [--steps 6] [--every 2]

The Python tests use it to check the tracer under DDP; Unroll's replay tests use it to produce a real trace.
With --report DIR each rank writes DIR/rank-<r>.json (its rank, world size, whether it recorded, the steps written).
"""

import argparse
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import unroll_trace  # noqa: E402

TEXT = (
    "Gradients flow backwards through time, one step at a time. Each step multiplies them by the Jacobian of the "
    "recurrence, and a long chain of such products either fades or grows. The gates of an LSTM let a cell keep its "
    "state almost unchanged, so the gradient that reaches an early step can stay large enough to learn from. "
)


class CharModel(nn.Module):
    def __init__(self, vocab, embed=16, hidden=32, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids, state=None):
        out, _ = self.lstm(self.embed(ids), state)
        return self.head(out)


def batches(ids, rank, batch, window, seed):
    """Windows of the text for this rank: each rank draws its own starts (its shard of the data)."""
    g = torch.Generator().manual_seed(seed * 1000 + rank)
    while True:
        starts = torch.randint(0, len(ids) - window - 1, (batch,), generator=g)
        x = torch.stack([ids[s : s + window] for s in starts])
        y = torch.stack([ids[s + 1 : s + window + 1] for s in starts])
        yield x, y


def run(rank, args):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=args.world_size)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    chars = sorted(set(TEXT))
    ids = torch.tensor([chars.index(c) for c in TEXT])
    torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP also broadcasts rank 0's)
    model = CharModel(len(chars)).to(dtype)
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp.parameters(), lr=0.01)
    tracer = unroll_trace.watch(ddp, args.trace, every=args.every, sequences=args.sequences)
    data = batches(ids, rank, args.batch, args.window, args.seed)
    losses = []
    for _ in range(args.steps):
        x, y = next(data)
        state = None
        if args.h0:
            k, b, h = model.lstm.num_layers, x.shape[0], model.lstm.hidden_size
            g = torch.Generator().manual_seed(args.seed + rank)
            state = tuple((0.1 * torch.randn(k, b, h, generator=g)).to(dtype) for _ in range(2))
        logits = ddp(x, state)
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        tracer.loss(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    tracer.close()
    if args.report:
        os.makedirs(args.report, exist_ok=True)
        report = {
            "rank": rank,
            "world_size": dist.get_world_size(),
            "recording": tracer.active,
            "written": tracer.written,
            "losses": losses,
            "error": None if tracer.error is None else str(tracer.error),
        }
        with open(os.path.join(args.report, f"rank-{rank}.json"), "w") as f:
            json.dump(report, f)
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trace", help="the trace folder to write, e.g. runs/char.unroll-trace")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--every", type=int, default=2)
    p.add_argument("--sequences", type=int, default=4)
    p.add_argument("--batch", type=int, default=8, help="sequences per rank and step")
    p.add_argument("--window", type=int, default=24, help="characters per sequence")
    p.add_argument("--world-size", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--h0", action="store_true", help="give the LSTM a (random) initial state, so grad.h0 is traced")
    p.add_argument("--report", help="a folder for one JSON report per rank")
    args = p.parse_args(argv)
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(free_port())
    mp.spawn(run, args=(args,), nprocs=args.world_size, join=True)


if __name__ == "__main__":
    main()
