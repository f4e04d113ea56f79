"""The bench's PyTorch column: nn.RNN/nn.LSTM/nn.GRU + nn.Linear on the CPU, single-threaded, float32.

Reads {"workloads": [...], "plan": {...}} as JSON on stdin, writes {"<workload name>": {"medianMs", "reps"}, ...,
"torch": version} as JSON on stdout. Each repetition is forward + backward of L = sum over steps of squared error,
with retain_grad() on the output sequence, as PyTorch users time it.
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


def main():
    request = json.load(sys.stdin)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for w in request["workloads"]:
        out[w["name"]] = time_workload(w, request["plan"])
    print(json.dumps(out))


main()
