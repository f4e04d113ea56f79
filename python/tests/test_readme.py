"""The example in python/README.md runs as written (with a few random batches for `batches`)."""

import os
import re
import tempfile
import unittest

import torch

import helpers  # noqa: F401  (puts the package on the path)

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")


class TestReadme(unittest.TestCase):
    def test_the_example_traces_a_training(self):
        with open(README, encoding="utf-8") as f:
            code = re.search(r"```python\n(.*?)```", f.read(), re.S).group(1)
        self.assertLessEqual(len(code.strip().splitlines()), 15)
        batches = [(torch.randint(0, 65, (6, 12)), torch.randint(0, 65, (6, 12))) for _ in range(2)]
        with tempfile.TemporaryDirectory() as folder:
            cwd = os.getcwd()
            os.chdir(folder)
            try:
                exec(compile(code, README, "exec"), {"batches": batches})
            finally:
                os.chdir(cwd)
            trace = os.path.join(folder, "runs", "exp1.unroll-trace")
            self.assertEqual(sorted(os.listdir(trace)), ["index.jsonl", "step-0.safetensors"])


if __name__ == "__main__":
    unittest.main()
