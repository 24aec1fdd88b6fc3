"""PyTorch's side of the device test "a training step equals PyTorch's on the same device"
(test/device.test.ts): the equivalent nn.Sequential (scripts/torch_sequential.py) loaded from
gradscope's checkpoint, trained for a few steps in train mode with torch.optim.SGD (momentum,
weight decay) or Adam on the given device, eagerly, as a PyTorch user would.

argv[1]: a JSON file {"device": "cpu"|"cuda:N", "layers": [...], "checkpoint": file,
"pixels": [uint8...], "labels": [...], "shape": [c, h, w], "batches": [[index...]...],
"optimizers": [{"kind": "sgd", "lr", "momentum", "weight_decay"} | {"kind": "adam", "lr"}]}.
Prints one JSON line: per optimizer {"losses": [...], "parameters": [...], "statistics": [...]}
(statistics: each batch norm's running_mean then running_var, in order).
Convolutions and matrix products run in IEEE float32 (TF32 off), as gradscope's engine does.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))
from safetensors_load import load_file  # noqa: E402
from torch_sequential import build  # noqa: E402


def main():
    args = json.load(open(sys.argv[1]))
    device = torch.device(args["device"])
    if device.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    c, h, w = args["shape"]
    # pixels as gradscope holds them: float32(byte) / 255
    x = (torch.tensor(args["pixels"], dtype=torch.uint8).reshape(-1, c, h, w).float() / 255).to(device)
    y = torch.tensor(args["labels"], dtype=torch.int64).to(device)
    state = load_file(args["checkpoint"])
    out = []
    for o in args["optimizers"]:
        model = build(args["layers"])
        model.load_state_dict(state, strict=True)
        model.to(device).train()
        if o["kind"] == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"],
                                  weight_decay=o["weight_decay"])
        else:
            opt = torch.optim.Adam(model.parameters(), lr=o["lr"])
        losses = []
        for batch in args["batches"]:
            index = torch.tensor(batch, dtype=torch.int64, device=device)
            opt.zero_grad()
            loss = F.cross_entropy(model(x[index]), y[index])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        out.append({
            "losses": losses,
            "parameters": torch.cat([p.detach().reshape(-1) for p in model.parameters()]).cpu().tolist(),
            "statistics": torch.cat([t for m in norms for t in (m.running_mean, m.running_var)]).cpu().tolist(),
        })
    print(json.dumps({"torch": torch.__version__, "device": str(device), "runs": out}))


if __name__ == "__main__":
    main()
