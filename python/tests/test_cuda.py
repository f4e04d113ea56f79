"""The tracer on a CUDA device (cuDNN's fused RNN kernels), through the same hooks as on the CPU.

`check_device` is run on the CPU always (so the path is exercised everywhere) and on CUDA where a GPU exists. On a GPU
machine: /usr/bin/python3 -m unittest -v test_cuda (from python/tests), or npm run test:python.
"""

import os
import sys
import tempfile
import unittest

import torch
from torch import nn

from helpers import expected_names, make_inputs, read_snapshot, train_step, unroll_trace


def check_device(test, device):
    """Every mode on `device`: the snapshot holds the documented tensors and, with S = B, the layer's own .grad."""
    layers = {
        "lstm": lambda: nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=4, batch_first=True),
        "gru": lambda: nn.GRU(3, 5, num_layers=2),
        "rnn relu": lambda: nn.RNN(3, 5, nonlinearity="relu", batch_first=True),
    }
    for label, make in layers.items():
        with test.subTest(device=device, layer=label), tempfile.TemporaryDirectory() as folder:
            torch.manual_seed(0)
            layer = make().to(device)
            x, hx = make_inputs(layer, 5, 7, torch.Generator().manual_seed(1), device=device)
            path = os.path.join(folder, "t.unroll-trace")
            with unroll_trace.watch(layer, path, every=1, sequences=5) as tracer:
                train_step(layer, x, hx, tracer)
            test.assertIsNone(tracer.error)
            t, meta = read_snapshot(test, os.path.join(path, "step-0.safetensors"))
            test.assertEqual(set(t), expected_names(layer, True))
            test.assertEqual(meta["approximate"], "")
            for name, param in layer.named_parameters():
                want = param.grad.cpu()
                err = (t["grad." + name] - want).abs().max().item() / max(want.abs().max().item(), 1e-30)
                test.assertLess(err, 1e-4, name)  # cuDNN may sum in another order than the recomputation

    # AMP: the forward runs in reduced precision; the snapshot is float32.
    amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16
    with tempfile.TemporaryDirectory() as folder:
        layer = nn.LSTM(3, 8, batch_first=True).to(device)
        path = os.path.join(folder, "amp.unroll-trace")
        with unroll_trace.watch(layer, path, every=1):
            with torch.autocast(device, dtype=amp_dtype):
                out, _ = layer(torch.randn(4, 6, 3, device=device))
                loss = out.float().pow(2).mean()
            loss.backward()
        t, meta = read_snapshot(test, os.path.join(path, "step-0.safetensors"))
        test.assertEqual((meta["dtype"], meta["approximate"]), ("float32", ""))
        test.assertEqual({v.dtype for v in t.values()}, {torch.float32})


class TestDevices(unittest.TestCase):
    def test_cpu(self):
        check_device(self, "cpu")

    def test_cuda(self):
        if not torch.cuda.is_available():
            reason = ("needs a CUDA GPU: torch.cuda.is_available() is False on this machine (CI has none); "
                      "the same hooks ran on the CPU in test_cpu")
            print(f"\ntest_cuda skipped: {reason}", file=sys.stderr)
            self.skipTest(reason)
        self.assertTrue(torch.backends.cudnn.enabled)
        check_device(self, "cuda")


if __name__ == "__main__":
    unittest.main()
