"""A real 2-process DDP training on CPU (gloo), traced: only rank 0 records, and says so in its snapshots."""

import os
import subprocess
import sys
import tempfile
import unittest

from helpers import expected_names, read_index, read_snapshot

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ddp_char_lstm.py")


def run_training(folder, *extra):
    trace = os.path.join(folder, "char.unroll-trace")
    report = os.path.join(folder, "report")
    cmd = [sys.executable, SCRIPT, trace, "--report", report, "--steps", "5", "--every", "2", *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return trace, report


class TestDDP(unittest.TestCase):
    def check(self, dtype, *extra):
        import json

        import torch

        with tempfile.TemporaryDirectory() as folder:
            trace, report = run_training(folder, "--dtype", dtype, *extra)
            ranks = {}
            for r in (0, 1):
                with open(os.path.join(report, f"rank-{r}.json")) as f:
                    ranks[r] = json.load(f)
            self.assertEqual([ranks[r]["world_size"] for r in (0, 1)], [2, 2])
            self.assertEqual((ranks[0]["recording"], ranks[1]["recording"]), (True, False))
            self.assertEqual((ranks[0]["written"], ranks[1]["written"]), ([0, 2, 4], []))
            self.assertIsNone(ranks[0]["error"])
            self.assertNotEqual(ranks[0]["losses"], ranks[1]["losses"], "the ranks train on different data")

            files = sorted(os.listdir(trace))
            self.assertEqual(files, ["index.jsonl", "step-0.safetensors", "step-2.safetensors", "step-4.safetensors"])
            index = read_index(trace)
            self.assertEqual([e["step"] for e in index], [0, 2, 4])
            lstm = torch.nn.LSTM(16, 32, num_layers=2)
            for entry in index:
                t, meta = read_snapshot(self, os.path.join(trace, entry["file"]))
                self.assertEqual((meta["rank"], meta["world_size"]), ("0", "2"))
                self.assertEqual(meta["dtype"], dtype)
                self.assertAlmostEqual(float(meta["loss"]), ranks[0]["losses"][entry["step"]], places=12)
                self.assertEqual(entry["loss"], ranks[0]["losses"][entry["step"]])
                self.assertEqual((meta["rows"], meta["batch"], meta["approximate"]), ("4", "8", ""))
                self.assertEqual(set(t), expected_names(lstm, "--h0" in extra))
                self.assertEqual({v.dtype for v in t.values()}, {getattr(torch, dtype)})
                self.assertEqual(tuple(t["input"].shape), (4, 24, 16))
                self.assertGreater(t["grad.weight_hh_l0"].abs().max().item(), 0)

    def test_float32_without_initial_state(self):
        self.check("float32")

    def test_float64_with_initial_state(self):
        self.check("float64", "--h0")


if __name__ == "__main__":
    unittest.main()
