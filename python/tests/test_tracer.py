"""unroll_trace.watch on every nn.RNN / nn.LSTM / nn.GRU variant: what it writes, and that the gradients are right."""

import copy
import glob
import json
import os
import tempfile
import unittest
import warnings

import torch
from torch import nn

from helpers import expected_names, make_inputs, read_index, read_snapshot, row_losses, train_step, unroll_trace

torch.set_num_threads(1)

VARIANTS = {
    "lstm 2 layers bidirectional proj_size": lambda: nn.LSTM(3, 6, num_layers=2, bidirectional=True, proj_size=4,
                                                             batch_first=True),
    "lstm bias=False batch_first=False": lambda: nn.LSTM(3, 5, bias=False),
    "gru 2 layers batch_first=False": lambda: nn.GRU(3, 5, num_layers=2),
    "gru bidirectional": lambda: nn.GRU(3, 4, bidirectional=True, batch_first=True),
    "rnn relu": lambda: nn.RNN(3, 5, nonlinearity="relu", batch_first=True),
    "rnn tanh 2 layers bidirectional bias=False": lambda: nn.RNN(3, 5, num_layers=2, bias=False, bidirectional=True),
}

B, T = 5, 7


def rel_err(a, b):
    scale = b.abs().max().item()
    return (a - b).abs().max().item() / (scale if scale > 0 else 1.0)


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name
        self.addCleanup(self._tmp.cleanup)

    def trace_path(self, name="t"):
        return os.path.join(self.dir, f"{name}.unroll-trace")


class TestVariants(TempDirCase):
    def test_every_variant_writes_the_documented_tensors_and_the_modules_own_gradients(self):
        for label, make in VARIANTS.items():
            for h0_given in (True, False):
                with self.subTest(variant=label, h0=h0_given):
                    torch.manual_seed(0)
                    layer = make()
                    g = torch.Generator().manual_seed(1)
                    x, hx = make_inputs(layer, B, T, g, h0=h0_given)
                    path = self.trace_path(f"{label.replace(' ', '_')}-{h0_given}")
                    with unroll_trace.watch(layer, path, every=1, sequences=B) as tracer:
                        loss = train_step(layer, x, hx, tracer)
                    self.assertIsNone(tracer.error)
                    t, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
                    self.assertEqual(set(t), expected_names(layer, h0_given))

                    # Shapes per docs/TRACE-FORMAT.md, batch first whatever the layer's layout.
                    dirs = 2 if layer.bidirectional else 1
                    k = layer.num_layers * dirs
                    p = layer.proj_size if getattr(layer, "proj_size", 0) > 0 else layer.hidden_size
                    self.assertEqual(tuple(t["input"].shape), (B, T, 3))
                    self.assertEqual(tuple(t["output"].shape), (B, T, dirs * p))
                    self.assertEqual(tuple(t["grad_output"].shape), (B, T, dirs * p))
                    for name in ("h0", "h_n", "grad_h_n"):
                        self.assertEqual(tuple(t[name].shape), (k, B, p))
                    if layer.mode == "LSTM":
                        for name in ("c0", "c_n", "grad_c_n"):
                            self.assertEqual(tuple(t[name].shape), (k, B, layer.hidden_size))
                    for name, param in layer.named_parameters():
                        self.assertEqual(t[name].shape, param.shape)
                        self.assertTrue(torch.equal(t[name], param.detach()), name)
                    self.assertTrue(all(v.dtype == torch.float32 for v in t.values()))

                    # The recorded values are the module's: input, output, states, and with S = B the gradients.
                    x_bf = x if layer.batch_first else x.transpose(0, 1)
                    self.assertTrue(torch.equal(t["input"], x_bf))
                    if h0_given:
                        h0 = hx[0] if layer.mode == "LSTM" else hx
                        self.assertTrue(torch.equal(t["h0"], h0.detach()))
                    else:
                        self.assertEqual(t["h0"].abs().max().item(), 0.0)
                    for name, param in layer.named_parameters():
                        self.assertLess(rel_err(t["grad." + name], param.grad), 1e-5, name)
                    if h0_given:
                        h0 = hx[0] if layer.mode == "LSTM" else hx
                        self.assertLess(rel_err(t["grad.h0"], h0.grad), 1e-5)
                        if layer.mode == "LSTM":
                            self.assertLess(rel_err(t["grad.c0"], hx[1].grad), 1e-5)
                    self.assertGreater(t["grad_h_n"].abs().max().item(), 0.0)

                    config = json.loads(meta["config"])
                    self.assertEqual(config["mode"], layer.mode)
                    self.assertEqual(config["num_layers"], layer.num_layers)
                    self.assertEqual(config["bidirectional"], layer.bidirectional)
                    self.assertEqual(config["batch_first"], layer.batch_first)
                    self.assertEqual(config["bias"], layer.bias)
                    self.assertEqual(config["proj_size"], getattr(layer, "proj_size", 0))
                    self.assertEqual(config["input_size"], 3)
                    self.assertEqual(config["hidden_size"], layer.hidden_size)
                    self.assertEqual(meta["h0"], "given" if h0_given else "none")
                    self.assertEqual((meta["rows"], meta["batch"], meta["step"]), (str(B), str(B), "0"))
                    self.assertEqual((meta["rank"], meta["world_size"]), ("0", "1"))
                    self.assertEqual((meta["dtype"], meta["training"], meta["approximate"]), ("float32", "true", ""))
                    self.assertAlmostEqual(float(meta["loss"]), loss.item(), places=6)

    def test_fewer_rows_than_the_batch_record_those_rows_share_of_the_mean_loss(self):
        S = 2
        for label, make in VARIANTS.items():
            with self.subTest(variant=label):
                torch.manual_seed(0)
                layer = make().double()
                reference = copy.deepcopy(layer)
                g = torch.Generator().manual_seed(2)
                x, hx = make_inputs(layer, B, T, g, dtype=torch.float64)
                path = self.trace_path(label.replace(" ", "_"))
                with unroll_trace.watch(layer, path, every=1, sequences=S):
                    train_step(layer, x, hx)
                t, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
                self.assertEqual((meta["rows"], meta["batch"], meta["dtype"]), (str(S), str(B), "float64"))
                self.assertEqual(tuple(t["input"].shape)[0], S)

                # Σ_{b<S} ℓ_b / B: the recorded rows' share of the batch-mean loss, by plain autograd.
                hx_ref = tuple(h.detach().clone().requires_grad_(True) for h in hx) if layer.mode == "LSTM" else (
                    hx.detach().clone().requires_grad_(True))
                out, state = reference(x, hx_ref)
                (row_losses(reference, x, out, state)[:S].sum() / B).backward()
                for name, param in reference.named_parameters():
                    self.assertLess(rel_err(t["grad." + name], param.grad), 1e-12, name)
                h0_ref = hx_ref[0] if layer.mode == "LSTM" else hx_ref
                self.assertLess(rel_err(t["grad.h0"], h0_ref.grad[:, :S]), 1e-12)

    def test_a_float64_run_records_F64(self):
        layer = nn.GRU(2, 3, batch_first=True).double()
        path = self.trace_path()
        with unroll_trace.watch(layer, path, every=1) as tracer:
            train_step(layer, torch.randn(3, 4, 2, dtype=torch.float64), None, tracer)
        header = unroll_trace.safetensors.read_header(os.path.join(path, "step-0.safetensors"))
        self.assertEqual(header["__metadata__"]["dtype"], "float64")
        self.assertEqual({info["dtype"] for name, info in header.items() if name != "__metadata__"}, {"F64"})

    def test_an_unbatched_input_is_one_row(self):
        layer = nn.LSTM(2, 3)
        path = self.trace_path()
        x = torch.randn(6, 2)
        with unroll_trace.watch(layer, path, every=1):
            out, (h, c) = layer(x)
            (out.sum() + h.sum()).backward()
        t, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
        self.assertEqual((meta["rows"], meta["batch"]), ("1", "1"))
        self.assertEqual(tuple(t["input"].shape), (1, 6, 2))
        self.assertEqual(tuple(t["h_n"].shape), (1, 1, 3))
        for name, param in layer.named_parameters():
            self.assertLess(rel_err(t["grad." + name], param.grad), 1e-5, name)


class TestSteps(TempDirCase):
    def test_training_forwards_are_steps_and_every_nth_is_a_snapshot(self):
        layer = nn.LSTM(2, 3, batch_first=True)
        path = self.trace_path()
        losses = {}
        with unroll_trace.watch(layer, path, every=3, sequences=2) as tracer:
            for step in range(8):
                losses[step] = train_step(layer, torch.randn(4, 5, 2), None, tracer).item()
                layer.eval()  # an evaluation forward and a no_grad forward are not steps
                layer(torch.randn(4, 5, 2))
                layer.train()
                with torch.no_grad():
                    layer(torch.randn(4, 5, 2))
        self.assertEqual(tracer.step, 7)
        index = read_index(path)
        self.assertEqual([e["step"] for e in index], [0, 3, 6])
        self.assertEqual(sorted(os.listdir(path)), ["index.jsonl", "step-0.safetensors", "step-3.safetensors",
                                                    "step-6.safetensors"])
        for entry in index:
            self.assertEqual(entry["file"], f"step-{entry['step']}.safetensors")
            self.assertEqual(entry["rows"], 2)
            self.assertAlmostEqual(entry["loss"], losses[entry["step"]], places=6)
            self.assertRegex(entry["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            _, meta = read_snapshot(self, os.path.join(path, entry["file"]))
            self.assertEqual(meta["step"], str(entry["step"]))
            self.assertEqual(meta["time"], entry["time"])

    def test_start_step_and_a_loss_given_after_backward_or_never(self):
        layer = nn.RNN(2, 3)
        path = self.trace_path()
        with unroll_trace.watch(layer, path, every=2, start_step=100) as tracer:
            out, h = layer(torch.randn(5, 4, 2))
            loss = out.pow(2).mean()
            loss.backward()
            tracer.loss(loss)  # after backward
            layer(torch.randn(5, 4, 2))[0].sum().backward()  # step 101
            layer(torch.randn(5, 4, 2))[0].sum().backward()  # step 102, no loss given
        index = read_index(path)
        self.assertEqual([(e["step"], e["loss"]) for e in index], [(100, loss.item()), (102, None)])
        _, meta = read_snapshot(self, os.path.join(path, "step-102.safetensors"))
        self.assertEqual(meta["loss"], "")

    def test_a_forward_without_backward_writes_nothing(self):
        layer = nn.GRU(2, 3)
        path = self.trace_path()
        with unroll_trace.watch(layer, path, every=1):
            layer(torch.randn(5, 4, 2))  # step 0: never backpropagated
            layer(torch.randn(5, 4, 2))[0].sum().backward()  # step 1
        self.assertEqual([e["step"] for e in read_index(path)], [1])
        self.assertFalse(os.path.exists(os.path.join(path, "step-0.safetensors")))

    def test_no_temporary_files_remain_and_the_index_is_appended_to(self):
        layer = nn.GRU(2, 3)
        path = self.trace_path()
        for start in (0, 10):
            with unroll_trace.watch(layer, path, every=1, start_step=start):
                layer(torch.randn(5, 4, 2))[0].sum().backward()
        self.assertEqual(sorted(os.listdir(path)), ["index.jsonl", "step-0.safetensors", "step-10.safetensors"])
        self.assertEqual([e["step"] for e in read_index(path)], [0, 10])


class TestTrainingUnchanged(TempDirCase):
    def test_the_same_seeded_training_ends_with_the_same_weights_traced_or_not(self):
        def train(trace):
            torch.manual_seed(3)
            layer = nn.LSTM(3, 8, num_layers=2, batch_first=True, dropout=0.25)
            head = nn.Linear(8, 1)
            opt = torch.optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=0.01)
            tracer = unroll_trace.watch(layer, self.trace_path(), every=1, sequences=2) if trace else None
            for _ in range(4):
                out, _ = layer(torch.randn(4, 6, 3))
                loss = head(out).pow(2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
            if tracer is not None:
                tracer.close()
            return [p.detach().clone() for p in layer.parameters()], torch.randn(1)  # and the RNG state after

        (plain, rng_plain), (traced, rng_traced) = train(False), train(True)
        for a, b in zip(plain, traced):
            self.assertTrue(torch.equal(a, b))
        self.assertTrue(torch.equal(rng_plain, rng_traced), "the tracer draws no random numbers")
        self.assertEqual(len(read_index(self.trace_path())), 4)

    def test_dropout_between_layers_marks_the_snapshot_approximate(self):
        layer = nn.LSTM(3, 4, num_layers=2, dropout=0.2)
        path = self.trace_path()
        with unroll_trace.watch(layer, path, every=1):
            layer(torch.randn(5, 2, 3))[0].sum().backward()
        _, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
        self.assertEqual(meta["approximate"], "dropout 0.2 between layers")

    def test_an_initial_state_the_hook_cannot_see_is_flagged_not_hidden(self):
        # torch < 2.0 shows forward hooks the positional arguments only: h0 passed as hx= is invisible there, the
        # recorded h0 is zeros, and the recomputed output then differs from PyTorch's, which the snapshot says.
        layer = nn.GRU(2, 3)
        path = self.trace_path()
        h0 = torch.randn(1, 5, 3)
        with unroll_trace.watch(layer, path, every=1):
            layer(torch.randn(4, 5, 2), hx=h0)[0].sum().backward()
        t, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
        if meta["h0"] == "given":  # torch >= 2.0
            self.assertTrue(torch.equal(t["h0"], h0))
            self.assertEqual(meta["approximate"], "")
        else:
            self.assertIn("recomputed differ", meta["approximate"])

    def test_autocast_records_float32(self):
        layer = nn.LSTM(3, 4, batch_first=True)
        path = self.trace_path()
        with unroll_trace.watch(layer, path, every=1):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out, _ = layer(torch.randn(2, 5, 3))
                loss = out.float().pow(2).mean()
            loss.backward()
        t, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
        self.assertEqual(meta["dtype"], "float32")
        self.assertEqual(meta["approximate"], "")
        self.assertEqual({v.dtype for v in t.values()}, {torch.float32})


class TestModules(TempDirCase):
    def test_a_model_holding_one_recurrent_layer_traces_that_layer(self):
        model = nn.Sequential(nn.Linear(2, 3), nn.GRU(3, 4, batch_first=True))
        self.assertIs(unroll_trace.find_layer(model), model[1])

    def test_a_model_with_two_recurrent_layers_asks_which(self):
        model = nn.ModuleDict({"enc": nn.LSTM(2, 3), "dec": nn.GRU(3, 3)})
        with self.assertRaisesRegex(ValueError, r"2 recurrent layers \('enc', 'dec'\).*watch\(model\.enc"):
            unroll_trace.watch(model, self.trace_path())
        with self.assertRaisesRegex(ValueError, "holds no nn.RNN"):
            unroll_trace.watch(nn.Linear(2, 2), self.trace_path())
        with self.assertRaisesRegex(ValueError, "every must be a positive integer"):
            unroll_trace.watch(nn.GRU(2, 2), self.trace_path(), every=0)

    def test_data_parallel_is_refused_with_the_alternative_named(self):
        with self.assertRaisesRegex(ValueError, "nn.DataParallel .* use DistributedDataParallel"):
            unroll_trace.watch(nn.DataParallel(nn.GRU(2, 2)), self.trace_path())

    def test_without_the_end_of_backward_callback_the_step_end_computes_the_snapshot(self):
        real = torch.autograd.Variable._execution_engine

        class NoCallbacks:  # the engine of a torch without queue_callback
            def __getattr__(self, name):
                if name == "queue_callback":
                    raise AttributeError(name)
                return getattr(real, name)

        layer = nn.LSTM(2, 3, batch_first=True)
        path = self.trace_path()
        torch.autograd.Variable._execution_engine = NoCallbacks()
        try:
            with unroll_trace.watch(layer, path, every=1, sequences=4) as tracer:
                x = torch.randn(4, 5, 2)
                train_step(layer, x, None, tracer)
                self.assertEqual(os.listdir(path), [], "nothing is written before the step is over")
                grads = {name: p.grad.clone() for name, p in layer.named_parameters()}
        finally:
            torch.autograd.Variable._execution_engine = real
        t, meta = read_snapshot(self, os.path.join(path, "step-0.safetensors"))
        self.assertNotEqual(meta["loss"], "")
        for name, g in grads.items():
            self.assertLess(rel_err(t["grad." + name], g), 1e-5, name)

    def test_a_failure_inside_the_tracer_warns_and_training_goes_on(self):
        layer = nn.GRU(2, 3)
        path = self.trace_path()
        tracer = unroll_trace.watch(layer, path, every=1)
        os.rmdir(path)
        open(path, "w").close()  # the trace folder is now a file: writing the snapshot fails
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            layer(torch.randn(4, 5, 2))[0].sum().backward()
            tracer.close()
        self.assertIsNotNone(tracer.error)
        self.assertTrue(any("unroll_trace stopped recording at step 0" in str(w.message) for w in caught))
        self.assertIsNotNone(layer.weight_hh_l0.grad)
        self.assertEqual(glob.glob(os.path.join(self.dir, "*.tmp")), [])


if __name__ == "__main__":
    unittest.main()
