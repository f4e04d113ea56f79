"""`pip install ./python` works offline: build the wheel without network, install it into a throwaway virtual
environment that sees the system's torch, and trace one step with the installed package."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

PACKAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

SMOKE = """
import os, sys, torch, unroll_trace
assert os.path.dirname(unroll_trace.__file__).startswith(sys.prefix), unroll_trace.__file__
layer = torch.nn.GRU(2, 3)
with unroll_trace.watch(layer, sys.argv[1], every=1):
    layer(torch.randn(4, 2, 2))[0].sum().backward()
print(sorted(os.listdir(sys.argv[1])))
"""


class TestPackage(unittest.TestCase):
    def test_pip_installs_the_package_offline_into_a_venv(self):
        with tempfile.TemporaryDirectory() as folder:
            # A copy, so pip's build/ and *.egg-info stay out of the source tree.
            source = os.path.join(folder, "src")
            shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("tests", "build", "*.egg-info",
                                                                          "__pycache__"))
            venv = os.path.join(folder, "venv")
            subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
            python = os.path.join(venv, "bin", "python")
            pip = [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", source]
            done = subprocess.run(pip, capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            trace = os.path.join(folder, "t.unroll-trace")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            done = subprocess.run([python, "-c", SMOKE, trace], capture_output=True, text=True, cwd=folder, env=env)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.strip(), "['index.jsonl', 'step-0.safetensors']")


if __name__ == "__main__":
    unittest.main()
