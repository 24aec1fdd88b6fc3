"""A tiny safetensors reader (json + struct + torch.frombuffer), independent of gradscope's
TypeScript code, so tests can check that PyTorch reads gradscope's checkpoints; the
`safetensors` Python package need not be installed.

    load_file(path) -> dict[str, torch.Tensor]   # like safetensors.torch.load_file
    load_metadata(path) -> dict[str, str]

Run as `python3 safetensors_load.py FILE` to print each tensor's name, dtype and shape.
"""

from __future__ import annotations

import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def _read(path: str) -> tuple[dict, bytes]:
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def load_file(path: str) -> dict[str, torch.Tensor]:
    header, data = _read(path)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = DTYPES[entry["dtype"]]
        chunk = bytearray(data[begin:end])  # writable, so frombuffer does not warn
        flat = torch.frombuffer(chunk, dtype=dtype) if chunk else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors


def load_metadata(path: str) -> dict[str, str]:
    return _read(path)[0].get("__metadata__", {})


if __name__ == "__main__":
    for name, tensor in load_file(sys.argv[1]).items():
        print(name, tensor.dtype, list(tensor.shape))
