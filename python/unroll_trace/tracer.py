"""Record snapshots of an nn.RNN / nn.LSTM / nn.GRU while PyTorch trains, in the format of docs/TRACE-FORMAT.md.

How a snapshot is taken, without changing the training:

1. A forward hook on the layer counts training steps. At a snapshot step it copies the first S rows of the layer's
   input, initial state, output and final state, and the layer's weights, and puts tensor hooks on the output and
   the final state (the layer itself runs untouched, so cuDNN keeps its fused kernels).
2. During backward those tensor hooks copy the first S rows of ∂L/∂output and ∂L/∂h_n (∂L/∂c_n) and queue a
   callback that runs when the backward pass ends.
3. The callback runs a private copy of the layer ("the shadow") on the recorded rows with the recorded weights and
   asks `torch.autograd.grad` for the parameter gradients and ∂L/∂h0 (∂L/∂c0) given the captured output gradients.
   Nothing accumulates into any `.grad`, no random numbers are drawn, the real layer is not touched.
4. The snapshot is written to a temporary file, renamed to `step-<n>.safetensors`, and one line is appended to
   `index.jsonl` (as soon as the loss for the step is known: `tracer.loss(value)` before or after backward, the
   next training forward, or `close()`).
"""

import atexit
import datetime
import json
import os
import warnings

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from . import safetensors

FORMAT = "unroll-trace/1"


def _unwrap(module):
    """The module inside a DistributedDataParallel wrapper."""
    if isinstance(module, nn.DataParallel):
        raise ValueError(
            "watch(): nn.DataParallel runs copies of the layer in several threads at once, which the tracer cannot "
            "follow; use DistributedDataParallel (one process per device), or trace the unwrapped model"
        )
    while isinstance(module, nn.parallel.DistributedDataParallel):
        module = module.module
    return module


def find_layer(module):
    """The one nn.RNN / nn.LSTM / nn.GRU to trace: `module` itself, or the only such layer inside it."""
    module = _unwrap(module)
    if isinstance(module, nn.RNNBase):
        return module
    if not isinstance(module, nn.Module):
        raise TypeError(f"watch() needs an nn.Module (an nn.RNN, nn.LSTM or nn.GRU), got {type(module).__name__}")
    found = [(name, m) for name, m in module.named_modules() if isinstance(m, nn.RNNBase)]
    if len(found) == 1:
        return found[0][1]
    if not found:
        raise ValueError(
            f"watch(): {type(module).__name__} holds no nn.RNN, nn.LSTM or nn.GRU; pass the recurrent layer to trace"
        )
    names = ", ".join(repr(name) for name, _ in found)
    raise ValueError(
        f"watch(): {type(module).__name__} holds {len(found)} recurrent layers ({names}); "
        f"pass the one to trace, e.g. watch(model.{found[0][0]}, ...)"
    )


def _dist_rank_world():
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Snapshot:
    """What one snapshot step captured so far."""

    def __init__(self, step):
        self.step = step
        self.tensors = {}  # name -> tensor on the layer's device, recorded dtype, batch first
        self.grads = {}  # "output" / "h_n" / "c_n" -> first S rows of the gradient, as captured
        self.loss = None
        self.handles = []
        self.queued = False
        self.ready = False  # the parameter gradients are computed
        self.lazy = False  # computed when the step is over, not at the end of backward
        self.written = False
        self.h0_given = False
        self.rows = 0
        self.batch = 0
        self.reduced_precision = False
        self.approximate = ""


class Tracer:
    """Records snapshots of one recurrent layer; see `watch`."""

    def __init__(self, module, path, every=100, sequences=4, start_step=0, scaler=None):
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"watch(): every must be a positive integer, got {every!r}")
        if not isinstance(sequences, int) or sequences < 1:
            raise ValueError(f"watch(): sequences must be a positive integer, got {sequences!r}")
        self.layer = find_layer(module)
        if self.layer.mode not in ("RNN_TANH", "RNN_RELU", "LSTM", "GRU"):
            raise ValueError(f"watch(): unknown recurrent mode {self.layer.mode!r}")
        self.path = os.fspath(path)
        self.every = every
        self.sequences = sequences
        self.scaler = scaler
        self.rank, self.world_size = _dist_rank_world()
        # Under DDP only rank 0 records; the other ranks get a tracer that installs nothing.
        self.active = self.rank == 0
        self.step = start_step - 1  # the step of the latest training forward; the first one is start_step
        self.written = []  # the steps written, in order
        self.error = None
        self._pending = None
        self._shadow = None
        self._warned = set()
        self._handle = None
        if self.active:
            os.makedirs(self.path, exist_ok=True)
            try:  # torch >= 2.0 shows the hook the keyword arguments too (hx=...)
                self._handle = self.layer.register_forward_hook(self._on_forward_kwargs, with_kwargs=True)
            except TypeError:
                self._handle = self.layer.register_forward_hook(self._on_forward)
            atexit.register(self.close)

    # -- the public surface ---------------------------------------------------------------------------------------

    def loss(self, value):
        """The loss of the current step (a number or a 0-dim tensor). Read only at snapshot steps."""
        snap = self._pending
        if snap is None or snap.step != self.step or snap.written:
            return
        snap.loss = float(value.detach().item() if torch.is_tensor(value) else value)
        if snap.ready:
            self._write(snap)

    def close(self):
        """Write the last snapshot if its backward pass ran, and stop tracing. Safe to call twice."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
            atexit.unregister(self.close)
        snap, self._pending = self._pending, None
        if snap is not None:
            self._finish(snap)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- step 1: the forward hook ---------------------------------------------------------------------------------

    def _on_forward_kwargs(self, module, args, kwargs, output):
        self._on_forward(module, tuple(args) + tuple(kwargs.get(k) for k in ("input", "hx") if k in kwargs), output)

    def _on_forward(self, module, args, output):
        if not (module.training and torch.is_grad_enabled()):
            return  # evaluation and no_grad forwards are not training steps
        self.step += 1
        if self._pending is not None:
            snap, self._pending = self._pending, None
            self._finish(snap)
        if self.step % self.every != 0 or self.error is not None:
            return
        try:
            self._begin(args, output)
        except Exception as e:  # a tracer never stops the training it watches; it says why it stopped
            self._fail(e)

    def _begin(self, args, output):
        layer = self.layer
        x = args[0]
        if isinstance(x, PackedSequence):
            self._warn_once("packed", "unroll_trace: PackedSequence inputs are not traced (pad them instead)")
            return
        hx = args[1] if len(args) > 1 else None
        out, state = output
        is_lstm = layer.mode == "LSTM"
        h_n, c_n = state if is_lstm else (state, None)
        if is_lstm and hx is not None:
            h0, c0 = hx
        else:
            h0, c0 = hx, None
        if not out.requires_grad:
            return  # nothing upstream or inside the layer wants gradients
        batched = x.dim() == 3
        batch = (x.shape[0] if layer.batch_first else x.shape[1]) if batched else 1
        rows = min(self.sequences, batch)
        dtype = torch.float64 if layer.weight_ih_l0.dtype == torch.float64 else torch.float32
        snap = _Snapshot(self.step)
        snap.rows, snap.batch = rows, batch
        # Under autocast (AMP) or a half-precision layer, PyTorch's forward ran in reduced precision.
        snap.reduced_precision = _autocast_enabled(out.device.type) or out.dtype in (torch.float16, torch.bfloat16)
        snap.h0_given = h0 is not None
        if layer.dropout > 0 and layer.num_layers > 1:
            snap.approximate = f"dropout {layer.dropout:g} between layers"

        def seq_rows(t):  # (B, T, ·) / (T, B, ·) / (T, ·) -> S × T × · batch first, a copy
            if not batched:
                t = t.unsqueeze(0)
            elif not layer.batch_first:
                t = t.transpose(0, 1)
            return t[:rows].detach().to(dtype=dtype, copy=True).contiguous()

        def state_rows(t):  # (K, B, ·) / (K, ·) -> K × S × ·, a copy
            if not batched:
                t = t.unsqueeze(1)
            return t[:, :rows].detach().to(dtype=dtype, copy=True).contiguous()

        snap.seq_rows, snap.state_rows = seq_rows, state_rows
        k = layer.num_layers * (2 if layer.bidirectional else 1)
        p = layer.proj_size if getattr(layer, "proj_size", 0) > 0 else layer.hidden_size
        t = snap.tensors
        t["input"] = seq_rows(x)
        t["h0"] = state_rows(h0) if h0 is not None else out.new_zeros((k, rows, p), dtype=dtype)
        if is_lstm:
            t["c0"] = state_rows(c0) if c0 is not None else out.new_zeros((k, rows, layer.hidden_size), dtype=dtype)
        t["output"] = seq_rows(out)
        t["h_n"] = state_rows(h_n)
        if is_lstm:
            t["c_n"] = state_rows(c_n)
        for name, param in layer.named_parameters():
            t[name] = param.detach().to(dtype=dtype, copy=True)

        for key, tensor in (("output", out), ("h_n", h_n), ("c_n", c_n)):
            if tensor is not None and tensor.requires_grad:
                snap.handles.append(tensor.register_hook(self._grad_hook(snap, key)))
        self._pending = snap

    # -- step 2: the tensor hooks ---------------------------------------------------------------------------------

    def _grad_hook(self, snap, key):
        def hook(grad):
            try:
                rows = snap.seq_rows if key == "output" else snap.state_rows
                snap.grads[key] = rows(grad)
            except Exception as e:
                self._fail(e)
                return
            if not snap.queued:
                snap.queued = True
                try:  # run the second pass when this backward ends
                    torch.autograd.Variable._execution_engine.queue_callback(lambda: self._on_backward_end(snap))
                except Exception:  # a torch without it: the next training forward or close() runs it
                    snap.lazy = True

        return hook

    # -- step 3: the second run, at the end of backward -----------------------------------------------------------

    def _on_backward_end(self, snap):
        for handle in snap.handles:
            handle.remove()
        snap.handles = []
        if self.error is not None:
            return
        try:
            self._compute(snap)
            if snap.loss is not None:
                self._write(snap)
        except Exception as e:
            self._fail(e)

    def _shadow_layer(self, dtype, device):
        """A fresh layer with the traced one's configuration: batch first, no dropout, no hooks."""
        layer = self.layer
        if self._shadow is not None and self._shadow[0] == (dtype, device):
            return self._shadow[1]
        kw = dict(
            input_size=layer.input_size,
            hidden_size=layer.hidden_size,
            num_layers=layer.num_layers,
            bias=layer.bias,
            batch_first=True,
            dropout=0.0,
            bidirectional=layer.bidirectional,
        )
        if layer.mode == "LSTM":
            cls, kw["proj_size"] = nn.LSTM, layer.proj_size
        elif layer.mode == "GRU":
            cls = nn.GRU
        else:
            cls, kw["nonlinearity"] = nn.RNN, "tanh" if layer.mode == "RNN_TANH" else "relu"
        # The constructor draws random initial weights (each snapshot copies the recorded ones in anyway): fork the
        # random streams so the training's are untouched.
        cuda = []
        if device.type == "cuda":
            cuda = [device.index if device.index is not None else torch.cuda.current_device()]
        with torch.random.fork_rng(devices=cuda):
            shadow = cls(**kw).to(device=device, dtype=dtype)
        shadow.train()  # cuDNN runs RNN backward in training mode only; with dropout 0 it draws no random numbers
        for p in shadow.parameters():
            p.requires_grad_(True)
        self._shadow = ((dtype, device), shadow)
        return shadow

    def _compute(self, snap):
        t = snap.tensors
        dtype, device = t["input"].dtype, t["input"].device
        is_lstm = self.layer.mode == "LSTM"
        scale = 1.0
        if self.scaler is not None and self.scaler.is_enabled():
            scale = float(self.scaler.get_scale())  # the gradients arriving carry the GradScaler's factor
        zeros = {"output": t["output"], "h_n": t["h_n"], "c_n": t.get("c_n")}
        for key in ("output", "h_n", "c_n") if is_lstm else ("output", "h_n"):
            g = snap.grads.get(key)
            t["grad_" + key] = torch.zeros_like(zeros[key]) if g is None else (g / scale if scale != 1.0 else g)

        shadow = self._shadow_layer(dtype, device)
        names = [name for name, _ in shadow.named_parameters()]
        params = [p for _, p in shadow.named_parameters()]
        h0 = t["h0"].clone().requires_grad_(True)
        c0 = t["c0"].clone().requires_grad_(True) if is_lstm else None
        with torch.enable_grad(), torch.autocast(device_type=device.type, enabled=False):
            with torch.no_grad():
                for name, p in zip(names, params):
                    p.copy_(t[name])
            out, state = shadow(t["input"], (h0, c0) if is_lstm else h0)
            outs = [out, state[0], state[1]] if is_lstm else [out, state]
            grad_outs = [t["grad_output"], t["grad_h_n"]] + ([t["grad_c_n"]] if is_lstm else [])
            inputs = params + [h0] + ([c0] if is_lstm else [])
            grads = torch.autograd.grad(outs, inputs, grad_outs, allow_unused=True)
        for name, p, g in zip(names, params, grads):
            t["grad." + name] = torch.zeros_like(p.detach()) if g is None else g.detach()
        if snap.h0_given:
            t["grad.h0"] = grads[len(params)].detach()
            if is_lstm:
                t["grad.c0"] = grads[len(params) + 1].detach()

        # The shadow must reproduce PyTorch's own output; if not, say so in the snapshot instead of hiding it.
        if not snap.approximate:
            err = _rel_err(out.detach(), t["output"])
            bound = 1e-9 if dtype == torch.float64 else 1e-4
            if snap.reduced_precision:  # the float32 recomputation differs by half precision's rounding
                bound = 5e-2
            if err > bound:
                snap.approximate = (
                    f"the recorded rows recomputed differ from PyTorch's output by {err:.2g} relative "
                    "(an initial state passed as hx= on torch < 2.0, or a layer changed by hooks?)"
                )
        snap.ready = True

    # -- step 4: writing ------------------------------------------------------------------------------------------

    def _finish(self, snap):
        """A snapshot whose step is over: write it if its backward ran, else drop it (forward without backward)."""
        for handle in snap.handles:
            handle.remove()
        snap.handles = []
        if snap.written or self.error is not None:
            return
        try:
            if snap.lazy and not snap.ready:
                self._compute(snap)
            if snap.ready:
                self._write(snap)
        except Exception as e:
            self._fail(e)

    def _write(self, snap):
        layer = self.layer
        t = snap.tensors
        dtype_name = "float64" if t["input"].dtype == torch.float64 else "float32"
        config = {
            "mode": layer.mode,
            "input_size": layer.input_size,
            "hidden_size": layer.hidden_size,
            "num_layers": layer.num_layers,
            "bias": bool(layer.bias),
            "batch_first": bool(layer.batch_first),
            "dropout": float(layer.dropout),
            "bidirectional": bool(layer.bidirectional),
            "proj_size": int(getattr(layer, "proj_size", 0)),
        }
        now = _utc_now()
        metadata = {
            "format": FORMAT,
            "config": json.dumps(config),
            "step": str(snap.step),
            "loss": "" if snap.loss is None else repr(snap.loss),
            "dtype": dtype_name,
            "rank": str(self.rank),
            "world_size": str(self.world_size),
            "time": now,
            "rows": str(snap.rows),
            "batch": str(snap.batch),
            "h0": "given" if snap.h0_given else "none",
            "training": "true",
            "approximate": snap.approximate,
        }
        order = ["input", "h0", "c0", "output", "h_n", "c_n", "grad_output", "grad_h_n", "grad_c_n"]
        names = [name for name, _ in layer.named_parameters()]
        order += names + ["grad." + n for n in names] + ["grad.h0", "grad.c0"]
        tensors = {name: t[name].detach().cpu() for name in order if name in t}
        file = f"step-{snap.step}.safetensors"
        final = os.path.join(self.path, file)
        temp = os.path.join(self.path, f".{file}.{os.getpid()}.tmp")
        safetensors.save(temp, tensors, metadata)
        os.replace(temp, final)
        line = json.dumps({"step": snap.step, "file": file, "loss": snap.loss, "time": now, "rows": snap.rows})
        with open(os.path.join(self.path, "index.jsonl"), "a", encoding="utf-8") as f:
            f.write(line + "\n")
        snap.written = True
        snap.tensors = {}
        self.written.append(snap.step)

    def _fail(self, error):
        self.error = error
        self._pending = None
        warnings.warn(f"unroll_trace stopped recording at step {self.step}: {type(error).__name__}: {error}")

    def _warn_once(self, key, message):
        if key not in self._warned:
            self._warned.add(key)
            warnings.warn(message)


def _autocast_enabled(device_type):
    try:  # torch >= 2.4 takes the device type
        return torch.is_autocast_enabled(device_type)
    except TypeError:
        return torch.is_autocast_enabled() if device_type == "cuda" else torch.is_autocast_cpu_enabled()


def _rel_err(a, b):
    scale = b.abs().max().item() if b.numel() else 0.0
    diff = (a - b).abs().max().item() if b.numel() else 0.0
    return diff / scale if scale > 0 else diff


def watch(module, path, every=100, sequences=4, start_step=0, scaler=None):
    """Trace the recurrent layer `module` (an nn.RNN, nn.LSTM or nn.GRU, or a module or DDP wrapper holding exactly
    one) into the folder `path` (by convention `<name>.unroll-trace`).

    Steps: every forward of the layer in training mode with gradients enabled is one step, counted from
    `start_step` (0: the first forward is step 0). A step n with n % every == 0 is a snapshot: the first `sequences`
    rows of the batch are recorded, and their share of the gradients. Give the step's loss with `tracer.loss(value)`
    (before or after backward) to have it in the snapshot. Under DDP only rank 0 records. With AMP's GradScaler,
    pass `scaler=` so the recorded gradients are divided by its scale.

    Returns a Tracer; use it as a context manager or call `close()` at the end.
    """
    return Tracer(module, path, every=every, sequences=sequences, start_step=start_step, scaler=scaler)
