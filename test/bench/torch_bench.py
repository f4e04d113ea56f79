"""The bench's PyTorch column: nn.RNN/nn.LSTM/nn.GRU + nn.Linear on the CPU, single-threaded, float32.

Reads {"workloads": [...], "plan": {...}, "train": {...} or absent} as JSON on stdin, writes
{"<workload name>": {"medianMs", "reps"}, ..., "train": {"seqPerSec", "medianBatchMs", "batches"}, "torch": version}
as JSON on stdout. Each repetition is forward + backward of L = sum over steps of squared error, with retain_grad()
on the output sequence, as PyTorch users time it.

"train" is the character-level LSTM training the engine runs as `unroll train` would: the same text file, the
vocabulary sorted(set(text)) (Unroll's order), one-hot inputs, windows of `window` characters cut one after another,
batches of `batch` windows in a seeded shuffle, nn.LSTM + nn.Linear, the loss Unroll trains (cross-entropy summed
over steps, averaged over the batch's sequences) and torch.optim.Adam with the same learning rate.
"""
import json
import statistics
import sys
import time

try:
    import torch
except ImportError as e:
    print(json.dumps({"missing": f"torch is not importable by {sys.executable} ({e})"}))
    sys.exit(0)

torch.set_num_threads(1)
CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def time_workload(w, plan):
    torch.manual_seed(0)
    rnn = CELLS[w["cell"]](w["D"], w["H"])
    fc = torch.nn.Linear(w["H"], w["O"])
    x = torch.rand(w["T"], w["B"], w["D"]) * 2 - 1
    y = torch.rand(w["T"], w["B"], w["O"]) * 2 - 1
    params = list(rnn.parameters()) + list(fc.parameters())

    def run():
        for p in params:
            p.grad = None
        hs, _ = rnn(x)
        hs.retain_grad()
        loss = ((fc(hs) - y) ** 2).sum()
        loss.backward()

    for _ in range(plan["warmup"]):
        t0 = time.perf_counter()
        run()
        if (time.perf_counter() - t0) * 1000 > plan["slowRunMs"]:
            break
    samples = []
    while len(samples) < plan["minReps"] or (len(samples) < plan["maxReps"] and sum(samples) < plan["budgetMs"]):
        t0 = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"medianMs": statistics.median(samples), "reps": len(samples)}


def time_training(spec):
    torch.manual_seed(0)
    with open(spec["text"], encoding="utf-8") as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    V, H, T, B = len(vocab), spec["hidden"], spec["window"], spec["batch"]
    starts = torch.arange(0, len(ids) - 1 - T + 1, T)  # full windows only (the bench text has no partial one)
    order = starts[torch.randperm(len(starts))]
    lstm = torch.nn.LSTM(V, H, batch_first=True)
    fc = torch.nn.Linear(H, V)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(fc.parameters()), lr=spec["lr"])
    offsets = torch.arange(T)
    total = spec["warmup"] + spec["batches"]
    if total * B > len(order):
        raise SystemExit(f"the text has {len(order)} windows, fewer than the {total * B} the bench trains on")
    samples = []
    for b in range(total):
        t0 = time.perf_counter()
        rows = order[b * B:(b + 1) * B].unsqueeze(1) + offsets  # [B, T] character positions
        x = torch.nn.functional.one_hot(ids[rows], V).float()
        y = ids[rows + 1]
        opt.zero_grad(set_to_none=True)
        hs, _ = lstm(x)
        logits = fc(hs)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1), reduction="sum") / B
        loss.backward()
        opt.step()
        if b >= spec["warmup"]:
            samples.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(samples)
    return {"seqPerSec": B * 1000 / ms, "medianBatchMs": ms, "batches": len(samples), "vocab": V}


def main():
    request = json.load(sys.stdin)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for w in request["workloads"]:
        out[w["name"]] = time_workload(w, request["plan"])
    if request.get("train"):
        out["train"] = time_training(request["train"])
    print(json.dumps(out))


main()
