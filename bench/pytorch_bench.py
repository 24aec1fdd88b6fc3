"""PyTorch's side of `gradscope bench`: one workload, timed in this process in batches the
caller asks for, so that its batches alternate with gradscope's own (the machine's speed
drifts; ratios of timings taken minutes apart would measure the drift).

argv[1]: a JSON file {"networks": {name: {"layers": [...], "input": [c,h,w], "classes": k,
"module": the source `gradscope export NET --pytorch` prints, for lists nn.Sequential cannot hold}},
"workload": {"id", "network", "kind": "step"|"population-gradient"|"hessian-vector"|"experiment-b",
"batch", "chunk", "draws"},
"settings": {"threads": int|null, "channels_last": bool, "device": "cpu"|"cuda:N"}}.
Protocol: after building the model it prints {"ready": true}; then each
line N on stdin runs the workload once untimed (memory given back after the previous batch
grows again) and N times timed, and prints {"ms": [N milliseconds]}; end of input ends it.
After each batch freed memory goes back to the system (malloc_trim), so that this process and
gradscope's never hold their largest heaps at once.
Settings are applied as PyTorch users would: torch.set_num_threads and the
model/input memory format. Allocator and BLAS settings come from the environment
the caller gives this process. On a GPU every timing starts and ends with
torch.cuda.synchronize(), and convolutions and matrix products run in IEEE float32
(TF32 off), as gradscope's engine runs them.
"""
import ctypes
import json
import sys
import time
import os

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from torch_sequential import build  # noqa: E402


def exported(source):
    """The network() of a module printed by `gradscope export NET --pytorch`."""
    namespace = {}
    exec(compile(source, "<gradscope export>", "exec"), namespace)
    return namespace["network"]()


def main():
    config = json.load(open(sys.argv[1]))
    settings = config["settings"]
    if settings.get("threads"):
        torch.set_num_threads(settings["threads"])
    channels_last = settings.get("channels_last", False)
    device = torch.device(settings.get("device", "cpu"))
    if device.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False

    def synchronize():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    torch.manual_seed(0)
    w = config["workload"]
    net = config["networks"][w["network"]]
    model = (exported(net["module"]) if "module" in net else build(net["layers"])).to(device)
    c, h, wd = net["input"]
    n = w["batch"]
    # an Experiment B point draws its batches from a pool of twice the batch size
    pool = 2 * n if w["kind"] == "experiment-b" else n
    x = torch.rand(pool, c, h, wd).to(device)
    y = torch.randint(0, net["classes"], (pool,)).to(device)
    if channels_last and len(x.shape) == 4 and c > 1:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if w["kind"] == "step":
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def once():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    elif w["kind"] == "hessian-vector":
        # H v of the mean loss in eval mode (gradscope's population mode) by double
        # backward: g = grad(f, w, create_graph=True), then grad(g . v, w)
        model.eval()
        chunk = w.get("chunk", n)
        params = [p for p in model.parameters() if p.requires_grad]
        flat = sum(p.numel() for p in params)
        v_flat = torch.sin(torch.arange(1, flat + 1, dtype=torch.float64)).float().to(device)
        vs = list(torch.split(v_flat, [p.numel() for p in params]))
        vs = [t.view_as(p) for t, p in zip(vs, params)]

        def once():
            hv = [torch.zeros_like(p) for p in params]
            for s in range(0, n, chunk):
                loss = F.cross_entropy(model(x[s:s + chunk]), y[s:s + chunk], reduction="sum") / n
                g = torch.autograd.grad(loss, params, create_graph=True)
                dot = sum((gi * vi).sum() for gi, vi in zip(g, vs))
                for acc, h in zip(hv, torch.autograd.grad(dot, params)):
                    acc.add_(h)
            return hv
    elif w["kind"] == "experiment-b":
        # K population-mode gradients of n distinct examples each, each measured against
        # two fixed vectors in float64 (|g - r|^2, |g - t|^2, |g|^2, g . t), on the device
        model.eval()
        chunk = w.get("chunk", n)
        generator = torch.Generator().manual_seed(12345)
        draws = [torch.randperm(pool, generator=generator)[:n].to(device) for _ in range(w.get("draws", 1))]
        flat = sum(p.numel() for p in model.parameters())
        reference = torch.sin(torch.arange(flat, dtype=torch.float64, device=device))
        total = 0.5 * reference

        def once():
            for d in draws:
                xd, yd = x[d], y[d]
                if channels_last and xd.dim() == 4 and c > 1:
                    xd = xd.contiguous(memory_format=torch.channels_last)
                model.zero_grad()
                for s in range(0, n, chunk):
                    (F.cross_entropy(model(xd[s:s + chunk]), yd[s:s + chunk], reduction="sum") / n).backward()
                g = torch.cat([p.grad.flatten() for p in model.parameters()]).double()
                torch.stack([((g - reference) ** 2).sum(), ((g - total) ** 2).sum(), (g * g).sum(),
                             (g * total).sum()]).cpu()
    else:
        model.eval()
        chunk = w.get("chunk", n)

        def once():
            model.zero_grad()
            for s in range(0, n, chunk):
                (F.cross_entropy(model(x[s:s + chunk]), y[s:s + chunk], reduction="sum") / n).backward()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        once()  # untimed: the heap given back after the last batch grows again
        synchronize()
        times = []
        for _ in range(int(line)):
            t = time.perf_counter()
            once()
            synchronize()
            times.append(time.perf_counter() - t)
        give_back_memory()
        print(json.dumps({"ms": [1000 * t for t in times]}), flush=True)


def give_back_memory():
    """Freed memory back to the system (glibc's malloc_trim; nothing elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    main()
