"""The safetensors writer and reader (standard library + torch): byte layout, round trip, clear errors."""

import json
import os
import struct
import tempfile
import unittest

import torch

from helpers import safetensors


class TestSafetensors(unittest.TestCase):
    def test_layout_and_round_trip(self):
        tensors = {
            "a": torch.arange(6, dtype=torch.float32).reshape(2, 3),
            "b": torch.tensor([1.5, -2.25], dtype=torch.float64),
            "empty": torch.zeros(0, 4),
            "ids": torch.tensor([[7]], dtype=torch.int64),
        }
        data = safetensors.encode(tensors, {"format": "x", "step": "3"})
        (length,) = struct.unpack("<Q", data[:8])
        self.assertEqual(length % 8, 0)
        header = json.loads(data[8 : 8 + length])
        self.assertEqual(header["__metadata__"], {"format": "x", "step": "3"})
        self.assertEqual(header["a"], {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]})
        self.assertEqual(header["b"], {"dtype": "F64", "shape": [2], "data_offsets": [24, 40]})
        self.assertEqual(header["empty"], {"dtype": "F32", "shape": [0, 4], "data_offsets": [40, 40]})
        self.assertEqual(header["ids"], {"dtype": "I64", "shape": [1, 1], "data_offsets": [40, 48]})
        body = data[8 + length :]
        self.assertEqual(len(body), 48)
        self.assertEqual(struct.unpack("<6f", body[:24]), (0.0, 1.0, 2.0, 3.0, 4.0, 5.0))
        self.assertEqual(struct.unpack("<2d", body[24:40]), (1.5, -2.25))

        back, meta = safetensors.decode(data)
        self.assertEqual(meta, {"format": "x", "step": "3"})
        self.assertEqual(list(back), list(tensors))
        for name, t in tensors.items():
            self.assertEqual(back[name].dtype, t.dtype)
            self.assertTrue(torch.equal(back[name], t), name)

    def test_non_contiguous_tensors_are_written_in_logical_order(self):
        t = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
        back, _ = safetensors.decode(safetensors.encode({"t": t}))
        self.assertTrue(torch.equal(back["t"], t))

    def test_save_and_load_a_file(self):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "w.safetensors")
            safetensors.save(path, {"w": torch.ones(2, 2)}, {"k": "v"})
            tensors, meta = safetensors.load(path)
            self.assertEqual(meta, {"k": "v"})
            self.assertTrue(torch.equal(tensors["w"], torch.ones(2, 2)))

    def test_bad_files_are_refused_with_the_file_named(self):
        good = safetensors.encode({"w": torch.ones(3)})
        with self.assertRaisesRegex(safetensors.SafetensorsError, r"^w\.st: 4 bytes, shorter"):
            safetensors.decode(b"abcd", "w.st")
        with self.assertRaisesRegex(safetensors.SafetensorsError, r"^w\.st: header length \d+ does not fit"):
            safetensors.decode(good[:8], "w.st")
        with self.assertRaisesRegex(safetensors.SafetensorsError, r"tensor 'w' \(F32 \[3\]\) has data_offsets"):
            safetensors.decode(good[:-4], "w.st")
        bad_json = struct.pack("<Q", 8) + b"{nope   "
        with self.assertRaisesRegex(safetensors.SafetensorsError, "the header is not JSON"):
            safetensors.decode(bad_json, "w.st")
        with self.assertRaisesRegex(TypeError, "metadata values are strings"):
            safetensors.encode({"w": torch.ones(1)}, {"step": 3})


if __name__ == "__main__":
    unittest.main()
