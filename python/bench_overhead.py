"""What tracing costs a training step: a character LSTM (embedding, LSTM, linear; H=256, T=100, batch 32 by default)
trained with Adam on CPU, with and without unroll_trace at every=100, in one run.

    /usr/bin/python3 python/bench_overhead.py [--blocks 2] [--every 100] [--hidden 256] [--layers 1] [--json]

Two copies of the model train side by side, one traced and one not, their steps interleaved (so a slow spell of a
shared machine hits both). Each step is timed in process CPU time (what the step costs this process, whatever else
runs on the machine) and in wall time. The time per step is a mean over blocks of `every` steps (a traced block holds
exactly one snapshot; a median over single steps would skip it); the report gives the median over blocks, per kind,
and the ratio. It also times the parts: a plain step, a traced step that is not a snapshot (the forward hook alone)
and a snapshot step (copies, the second autograd run on the recorded rows, the file), each a median over steps.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unroll_trace  # noqa: E402


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        out, _ = self.lstm(self.embed(ids))
        return self.head(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--blocks", type=int, default=2, help="blocks of `every` steps per kind (untraced, traced)")
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--sequences", type=int, default=4)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--steps", type=int, default=100, help="T, characters per sequence")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--vocab", type=int, default=65)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--parts", type=int, default=8, help="steps timed per part (plain, hook only, snapshot)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    data = torch.randint(0, args.vocab, (16, args.batch, args.steps + 1))
    folder = tempfile.TemporaryDirectory()

    def trainer():
        torch.manual_seed(0)
        model = CharLSTM(args.vocab, 64, args.hidden, args.layers)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        counter = [0]

        def step(tracer=None):
            ids = data[counter[0] % len(data)]
            counter[0] += 1
            cpu, wall = time.process_time(), time.perf_counter()
            logits = model(ids[:, :-1])
            loss = nn.functional.cross_entropy(logits.reshape(-1, args.vocab), ids[:, 1:].reshape(-1))
            if tracer is not None:
                tracer.loss(loss)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return time.process_time() - cpu, time.perf_counter() - wall

        return model, step

    plain_model, plain_step = trainer()
    traced_model, traced_step = trainer()
    tracer = unroll_trace.watch(traced_model.lstm, os.path.join(folder.name, "run.unroll-trace"), every=args.every,
                                sequences=args.sequences, start_step=-3)
    for _ in range(3):  # warm up (steps -3..-1 of the traced copy: no snapshot)
        plain_step()
        traced_step(tracer)

    plain_times, traced_times = [], []
    for i in range(args.blocks * args.every):
        if i % 2:  # alternate which copy goes first
            plain_times.append(plain_step())
            traced_times.append(traced_step(tracer))
        else:
            traced_times.append(traced_step(tracer))
            plain_times.append(plain_step())
    tracer.close()
    assert tracer.error is None, tracer.error
    assert tracer.written == [b * args.every for b in range(args.blocks)], tracer.written

    def blocks(times, k):  # mean seconds per step of each block of `every` steps, by clock k (0 CPU, 1 wall)
        return [sum(t[k] for t in times[b * args.every : (b + 1) * args.every]) / args.every for b in range(args.blocks)]

    # Parts, each a median over single steps (CPU time).
    plain = [plain_step()[0] for _ in range(args.parts)]
    with unroll_trace.watch(traced_model.lstm, os.path.join(folder.name, "hook.unroll-trace"), every=10**9,
                            start_step=1) as hook_tracer:
        hook_only = [traced_step(hook_tracer)[0] for _ in range(args.parts)]
    with unroll_trace.watch(traced_model.lstm, os.path.join(folder.name, "snap.unroll-trace"), every=1) as snap_tracer:
        snapshot = [traced_step(snap_tracer)[0] for _ in range(args.parts)]
    snapshot_bytes = os.path.getsize(os.path.join(folder.name, "snap.unroll-trace", "step-0.safetensors"))
    folder.cleanup()

    med = statistics.median
    result = {
        "model": f"char LSTM: embedding 64, {args.layers}-layer LSTM H={args.hidden}, T={args.steps}, "
        f"batch {args.batch}, vocab {args.vocab}, Adam, CPU, {args.threads} thread(s), torch {torch.__version__}",
        "every": args.every,
        "sequences": args.sequences,
        "blocks": args.blocks,
        "untracedStepMs": med(blocks(plain_times, 0)) * 1e3,
        "tracedStepMs": med(blocks(traced_times, 0)) * 1e3,
        "ratio": med(blocks(traced_times, 0)) / med(blocks(plain_times, 0)),
        "blockRatios": [t / u for u, t in zip(blocks(plain_times, 0), blocks(traced_times, 0))],
        "untracedWallMs": med(blocks(plain_times, 1)) * 1e3,
        "tracedWallMs": med(blocks(traced_times, 1)) * 1e3,
        "wallRatio": med(blocks(traced_times, 1)) / med(blocks(plain_times, 1)),
        "plainStepMs": med(plain) * 1e3,
        "hookOnlyStepMs": med(hook_only) * 1e3,
        "snapshotStepMs": med(snapshot) * 1e3,
        "snapshotBytes": snapshot_bytes,
    }
    # The parts predict the block ratio: (every − 1) hook-only steps and one snapshot step against every plain ones.
    result["predictedRatio"] = ((args.every - 1) * med(hook_only) + med(snapshot)) / (args.every * med(plain))
    if args.json:
        print(json.dumps(result))
        return
    print(result["model"])
    print(f"per step, median over {args.blocks} blocks of {args.every} interleaved steps (CPU time; wall time):")
    print(f"  untraced                {result['untracedStepMs']:8.1f} ms   {result['untracedWallMs']:8.1f} ms")
    print(f"  traced, every={args.every:<9d} {result['tracedStepMs']:8.1f} ms   {result['tracedWallMs']:8.1f} ms")
    print(f"  ratio                   {result['ratio']:8.3f}      {result['wallRatio']:8.3f}   (CPU, per block: "
          + ", ".join(f"{r:.3f}" for r in result["blockRatios"]) + ")")
    print(f"parts, median over {args.parts} steps (CPU time):")
    print(f"  plain step              {result['plainStepMs']:8.1f} ms")
    print(f"  traced, no snapshot     {result['hookOnlyStepMs']:8.1f} ms")
    print(f"  snapshot step           {result['snapshotStepMs']:8.1f} ms   ({snapshot_bytes / 1e6:.1f} MB file)")
    print(f"  predicted ratio at every={args.every}: {result['predictedRatio']:.3f}")


if __name__ == "__main__":
    main()
