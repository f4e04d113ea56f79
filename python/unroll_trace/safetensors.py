"""Read and write safetensors files with the standard library and torch only.

The format: an 8-byte little-endian unsigned header length N, N bytes of JSON (padded with spaces to a multiple of
8), then the raw little-endian bytes of every tensor. The JSON maps each tensor name to its dtype, shape and
[begin, end) byte range in the data section, and may hold a ``__metadata__`` object of string values.
"""

import ctypes
import json
import struct
import sys

import torch

DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}
DTYPES = {name: dtype for dtype, name in DTYPE_NAMES.items()}

# A header larger than this is refused by the reader (the reference implementation uses the same 100 MB bound).
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(ValueError):
    """A file that is not valid safetensors; the message names the file and what is wrong."""


def _require_little_endian():
    if sys.byteorder != "little":
        raise NotImplementedError("unroll_trace writes safetensors on little-endian machines only")


def _raw_bytes(tensor):
    """The bytes of a contiguous CPU tensor, in the machine's (little-endian) order."""
    count = tensor.numel() * tensor.element_size()
    if count == 0:
        return b""
    return ctypes.string_at(tensor.data_ptr(), count)


def encode(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (name -> tensor, in that order) and `metadata`."""
    _require_little_endian()
    header = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise TypeError(f"safetensors metadata values are strings; {key!r} is {type(value).__name__}")
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        if name == "__metadata__":
            raise ValueError("a tensor cannot be named __metadata__")
        if tensor.dtype not in DTYPE_NAMES:
            raise TypeError(f"tensor {name!r}: dtype {tensor.dtype} has no safetensors name")
        data = _raw_bytes(tensor.detach().to("cpu").contiguous())
        header[name] = {
            "dtype": DTYPE_NAMES[tensor.dtype],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return b"".join([struct.pack("<Q", len(text)), text, *blobs])


def save(path, tensors, metadata=None):
    """Write `tensors` and `metadata` to `path` (not atomically; the tracer writes a temp file and renames it)."""
    data = encode(tensors, metadata)
    with open(path, "wb") as f:
        f.write(data)


def decode(data, source="<bytes>"):
    """(tensors, metadata) from the bytes of a safetensors file; raises SafetensorsError naming `source`."""
    _require_little_endian()
    if len(data) < 8:
        raise SafetensorsError(f"{source}: {len(data)} bytes, shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER_BYTES or 8 + length > len(data):
        raise SafetensorsError(f"{source}: header length {length} does not fit a file of {len(data)} bytes")
    try:
        header = json.loads(data[8 : 8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{source}: the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{source}: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + length :]
    tensors = {}
    for name, info in header.items():
        try:
            dtype = DTYPES[info["dtype"]]
            shape = [int(n) for n in info["shape"]]
            begin, end = (int(n) for n in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SafetensorsError(f"{source}: tensor {name!r} has a malformed entry {info!r}") from None
        count = 1
        for n in shape:
            count *= n
        size = count * torch.tensor([], dtype=dtype).element_size()
        if not (0 <= begin <= end <= len(body)) or end - begin != size:
            raise SafetensorsError(
                f"{source}: tensor {name!r} ({info['dtype']} {shape}) has data_offsets [{begin}, {end}], "
                f"expected {size} bytes within the {len(body)}-byte data section"
            )
        if size == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
        else:
            tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(shape)
    return tensors, metadata


def load(path):
    """(tensors, metadata) of the safetensors file at `path`."""
    with open(path, "rb") as f:
        return decode(f.read(), str(path))


def read_header(path):
    """The parsed JSON header of a safetensors file (with `__metadata__`), without reading the data."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length).decode("utf-8"))
