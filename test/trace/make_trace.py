"""Writes small *.unroll-trace folders with real PyTorch, following docs/TRACE-FORMAT.md, for the replay tests.

This is the test suite's own writer, independent of python/unroll_trace: it records what the format says a snapshot
holds (the recorded rows' share of a batch-mean loss, their output gradients, and autograd's parameter gradients and
∂L/∂h0 for the same rows), so the replay is checked against PyTorch whatever the tracer does.

usage: make_trace.py OUTDIR '[{"name": "lstm", "mode": "LSTM", ...options}, ...]'   (one Python start for all)
options: mode, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, proj_size,
         dtype (float32|float64), T, batch, rows, h0 (given|none), steps (list of training steps), seed,
         skew (multiply the recorded grad.weight_hh_l0 by 1 + skew: a trace the replay must refuse)
"""
import json
import os
import struct
import sys

import torch


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype = {torch.float32: "F32", torch.float64: "F64"}[t.dtype]
        data = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def build(cfg):
    mode = cfg.get("mode", "LSTM")
    kw = dict(
        input_size=cfg.get("input_size", 3),
        hidden_size=cfg.get("hidden_size", 5),
        num_layers=cfg.get("num_layers", 1),
        bias=cfg.get("bias", True),
        batch_first=cfg.get("batch_first", True),
        dropout=cfg.get("dropout", 0.0),
        bidirectional=cfg.get("bidirectional", False),
    )
    if mode == "LSTM":
        module = torch.nn.LSTM(proj_size=cfg.get("proj_size", 0), **kw)
    elif mode == "GRU":
        module = torch.nn.GRU(**kw)
    else:
        module = torch.nn.RNN(nonlinearity="relu" if mode == "RNN_RELU" else "tanh", **kw)
    config = dict(mode=mode, **kw, proj_size=cfg.get("proj_size", 0) if mode == "LSTM" else 0)
    return module, config


def main():
    outdir, specs = sys.argv[1], json.loads(sys.argv[2])
    for spec in specs:
        print(write_trace(outdir, spec["name"], spec))


def write_trace(outdir, name, options):
    torch.manual_seed(options.get("seed", 0))
    dtype = torch.float64 if options.get("dtype") == "float64" else torch.float32
    module, config = build(options)
    module = module.to(dtype)
    module.train()
    lstm = config["mode"] == "LSTM"
    dirs = 2 if config["bidirectional"] else 1
    K = config["num_layers"] * dirs
    H = config["hidden_size"]
    P = config["proj_size"] or H
    T, B, S = options.get("T", 7), options.get("batch", 6), options.get("rows", 4)
    given = options.get("h0", "given") == "given"
    folder = os.path.join(outdir, name + ".unroll-trace")
    os.makedirs(folder, exist_ok=True)
    opt = torch.optim.SGD(module.parameters(), lr=0.05)
    head = torch.randn(dirs * P, 2, dtype=dtype)
    head_n = torch.randn(P, dtype=dtype)
    index = open(os.path.join(folder, "index.jsonl"), "a")
    for step in options.get("steps", [1]):
        x = torch.randn(B, T, config["input_size"], dtype=dtype)  # batch first, as the trace stores it
        h0 = torch.randn(K, B, P, dtype=dtype) * 0.5 if given else None
        c0 = torch.randn(K, B, H, dtype=dtype) * 0.5 if given and lstm else None

        def run(xb, h, c):
            inp = xb if config["batch_first"] else xb.transpose(0, 1)
            state = None if h is None else ((h, c) if lstm else h)
            out, hn = module(inp, state)
            out = out if config["batch_first"] else out.transpose(0, 1)
            return (out, hn[0], hn[1]) if lstm else (out, hn, None)

        # one training step on the whole batch; the loss uses the output sequence and h_n
        out, h_n, c_n = run(x, h0, c0)
        out.retain_grad()
        h_n.retain_grad()
        per_row = torch.tanh(out @ head).pow(2).sum(dim=(1, 2)) + (h_n[-1] * head_n).sum(dim=1).sin()
        if lstm:
            c_n.retain_grad()
            per_row = per_row + 0.1 * c_n[-1].pow(2).sum(dim=1)
        loss = per_row.mean()
        opt.zero_grad()
        loss.backward()
        grad_output = out.grad[:S].clone()
        grad_h_n = h_n.grad[:, :S].clone()
        grad_c_n = c_n.grad[:, :S].clone() if lstm else None
        weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
        # the recorded rows' share: run the layer again on those rows, same weights, and ask autograd
        xs = x[:S].clone()
        hs = h0[:, :S].clone().requires_grad_(True) if given else None
        cs = c0[:, :S].clone().requires_grad_(True) if given and lstm else None
        o2, hn2, cn2 = run(xs, hs, cs)
        outs, grads_in = [o2, hn2], [grad_output, grad_h_n]
        if lstm:
            outs.append(cn2)
            grads_in.append(grad_c_n)
        params = list(module.named_parameters())
        wrt = [p for _, p in params] + ([hs] if given else []) + ([cs] if given and lstm else [])
        got = torch.autograd.grad(outs, wrt, grads_in, allow_unused=True)
        tensors = {"input": xs}
        zeros = lambda n: torch.zeros(K, S, n, dtype=dtype)
        tensors["h0"] = hs.detach() if given else zeros(P)
        if lstm:
            tensors["c0"] = cs.detach() if given else zeros(H)
        tensors["output"] = out[:S].detach()
        tensors["h_n"] = h_n[:, :S].detach()
        if lstm:
            tensors["c_n"] = c_n[:, :S].detach()
        tensors["grad_output"] = grad_output
        tensors["grad_h_n"] = grad_h_n
        if lstm:
            tensors["grad_c_n"] = grad_c_n
        for k, v in weights.items():
            tensors[k] = v
        for (k, p), g in zip(params, got):
            tensors["grad." + k] = g if g is not None else torch.zeros_like(p)
        if given:
            tensors["grad.h0"] = got[len(params)]
            if lstm:
                tensors["grad.c0"] = got[len(params) + 1]
        if options.get("skew"):
            tensors["grad.weight_hh_l0"] = tensors["grad.weight_hh_l0"] * (1 + options["skew"])
        opt.step()
        approx = f"dropout {config['dropout']} between layers" if config["dropout"] > 0 and config["num_layers"] > 1 else ""
        metadata = {
            "format": "unroll-trace/1",
            "config": json.dumps(config),
            "step": str(step),
            "loss": repr(float(loss)),
            "dtype": "float64" if dtype == torch.float64 else "float32",
            "rank": "0",
            "world_size": "1",
            "time": "2026-12-03T09:40:12Z",
            "rows": str(S),
            "batch": str(B),
            "h0": "given" if given else "none",
            "training": "true",
            "approximate": approx,
        }
        file = f"step-{step}.safetensors"
        write_safetensors(os.path.join(folder, file), tensors, metadata)
        index.write(json.dumps({"step": step, "file": file, "loss": float(loss), "time": metadata["time"], "rows": S}) + "\n")
        index.flush()
    index.close()
    return folder


if __name__ == "__main__":
    main()
