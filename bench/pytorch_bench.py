"""PyTorch's side of `gradscope bench`: one workload, timed in this process in batches the
caller asks for, so that its batches alternate with gradscope's own (the machine's speed
drifts; ratios of timings taken minutes apart would measure the drift).

argv[1]: a JSON file {"networks": {name: {"layers": [...], "input": [c,h,w], "classes": k,
"module": the source `gradscope export NET --pytorch` prints, for lists nn.Sequential cannot hold,
"gpt": {"vocabulary", "context", "layers", "heads", "width", "bias"} for a language model, built
as nanoGPT's GPT below}},
"workload": {"id", "network", "kind": "step"|"population-gradient"|"hessian-vector"|"experiment-b"
|"experiment-b-point", "batch", "chunk", "draws", and for "experiment-b-point" "train", "test",
"batch_sizes"},
"settings": {"threads": int|null, "channels_last": bool, "device": "cpu"|"cuda:N"}}.
Protocol: after building the model it prints {"ready": true}; then each
line {"repeats": N, "warmUp": bool or a count, "paceMs": [[ms, ...] per run] | null} on stdin
runs the workload once untimed when warmUp (or that many times: memory given back after the
previous batch grows again) and N
times timed, and prints {"ms": [N milliseconds], "ticksMs": [[ms, ...] per run]}: each run's
time at the end of each of its chunks and at its end (the untimed run first). With a pace (the
caller's: the best setting's ticks of the same runs, times its factor, plus a grace), a run is
stopped as soon as its time passes the allowance of the chunk it is in (past the allowances
given, the last one): at a chunk's end, or within it by a watchdog thread (a training step is one
chunk, and PyTorch's defaults take a minute for their first C1 chunk of 5000 examples, the best
setting 27 s with the heap's regrowth); the batch then ends with {"stoppedAtMs": its time so far}, and a run
stopped by the watchdog ends the process with it (the caller never times a stopped setting
again). End of input ends it.
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
import math
import sys
import os
from dataclasses import dataclass
import threading
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from torch_sequential import build  # noqa: E402


def exported(source):
    """The network() of a module printed by `gradscope export NET --pytorch`."""
    namespace = {}
    exec(compile(source, "<gradscope export>", "exec"), namespace)
    return namespace["network"]()


class Stopped(Exception):
    """A run fell behind the batch's limit."""


class Run:
    """The run under way: when it started, its time at the end of each chunk so far, the
    allowance of each (seconds; None: no pace), and the watchdog that stops it within a chunk."""
    start = 0.0
    ticks = []
    pace = None
    watchdog = None


def allowance(chunk):
    """The allowance of the run's chunk `chunk` (0-based; past those given, the last one)."""
    return Run.pace[min(chunk, len(Run.pace) - 1)]


def tick():
    """After a chunk: its time noted; the run stopped once the time passes the chunk's allowance,
    else the watchdog set to the next chunk's."""
    elapsed = time.perf_counter() - Run.start
    Run.ticks.append(elapsed)
    if Run.pace:
        if elapsed > allowance(len(Run.ticks) - 1):
            raise Stopped()
        Run.watchdog.arm(allowance(len(Run.ticks)))


# nanoGPT's model (Karpathy, github.com/karpathy/nanoGPT, model.py), as PyTorch 1.13 runs it: no
# F.scaled_dot_product_attention before PyTorch 2.0, so nanoGPT takes its own attention path
# with the causal mask held as the `bias` buffer. Dropout 0, as gradscope's GPT.


class LayerNorm(nn.Module):
    """LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False"""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size))
                             .view(1, 1, config.block_size, config.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


@dataclass
class GPTConfig:
    block_size: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    dropout: float = 0.0
    bias: bool = True


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets):
        device = idx.device
        b, t = idx.size()
        assert t <= self.config.block_size
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss


def nanogpt(sizes):
    """nanoGPT's GPT of gradscope's sizes (src/models/gpt.ts names them)."""
    return GPT(GPTConfig(block_size=sizes["context"], vocab_size=sizes["vocabulary"],
                         n_layer=sizes["layers"], n_head=sizes["heads"], n_embd=sizes["width"],
                         bias=sizes["bias"]))


def gpt_step(net, n, device):
    """nanoGPT's training step (train.py with one micro-step) on n random windows of the model's
    context: forward with targets, backward, Adam, gradients set to None. No gradient clipping
    (nanoGPT's grad_clip): gradscope's step has none either."""
    sizes = net["gpt"]
    model = nanogpt(sizes).to(device)
    model.train()
    t = sizes["context"]
    windows = torch.randint(0, sizes["vocabulary"], (n, t + 1)).to(device)
    x, y = windows[:, :-1].contiguous(), windows[:, 1:].contiguous()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def once():
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return once


class Watchdog:
    """Ends the process at the allowance of the chunk under way, answering {"stoppedAtMs":
    allowance}, when the run is still in that chunk (where tick cannot stop it). One thread for
    the process, so that moving the limit at each chunk's end costs a lock, not a thread."""

    def __init__(self):
        self.changed = threading.Condition()
        self.limit = None  # (the run's start, seconds of it allowed); None: no run under a pace
        threading.Thread(target=self.watch, daemon=True).start()

    def arm(self, seconds):
        """The run under way may take `seconds` from its start (None: no limit)."""
        with self.changed:
            self.limit = None if seconds is None else (Run.start, seconds)
            self.changed.notify()

    def disarm(self):
        self.arm(None)

    def watch(self):
        with self.changed:
            while True:
                if self.limit is None:
                    self.changed.wait()
                    continue
                start, seconds = self.limit
                left = start + seconds - time.perf_counter()
                if left > 0:
                    self.changed.wait(left)
                    continue
                print(json.dumps({"stoppedAtMs": 1000 * seconds}), flush=True)
                os._exit(0)


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
    if "gpt" in net:
        if w["kind"] != "step":
            raise SystemExit("a language model is timed only as a training step")
        run(gpt_step(net, w["batch"], device), synchronize)
        return
    model = (exported(net["module"]) if "module" in net else build(net["layers"])).to(device)
    c, h, wd = net["input"]
    n = w["batch"]
    # an Experiment B point draws its batches from a pool of twice the batch size
    pool = {"experiment-b": 2 * n, "experiment-b-point": w.get("train", n)}.get(w["kind"], n)
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
                tick()
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
                    tick()
                g = torch.cat([p.grad.flatten() for p in model.parameters()]).double()
                torch.stack([((g - reference) ** 2).sum(), ((g - total) ** 2).sum(), (g * g).sum(),
                             (g * total).sum()]).cpu()
    elif w["kind"] == "experiment-b-point":
        once = experiment_b_point(model, w, net, x, y, channels_last, device)
    else:
        model.eval()
        chunk = w.get("chunk", n)

        def once():
            model.zero_grad()
            for s in range(0, n, chunk):
                (F.cross_entropy(model(x[s:s + chunk]), y[s:s + chunk], reduction="sum") / n).backward()
                tick()
    run(once, synchronize)


def run(once, synchronize):
    """The protocol: ready, then batches of timings on request until the end of input."""
    Run.watchdog = watchdog = Watchdog()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pace = [[ms / 1000 for ms in run] for run in request.get("paceMs") or []]
        runs = [False] * int(request.get("warmUp", 1)) + [True] * request["repeats"]
        times = []
        ticks = []
        answer = None
        for j, timed in enumerate(runs):
            # a warm-up run untimed: the heap given back after the last batch grows again
            t = time.perf_counter()
            Run.start, Run.ticks = t, []
            Run.pace = pace[min(j, len(pace) - 1)] if pace else None
            watchdog.arm(allowance(0) if Run.pace else None)
            try:
                once()
                synchronize()
                tick()
            except Stopped:
                synchronize()
                answer = {"stoppedAtMs": 1000 * (time.perf_counter() - t)}
                break
            finally:
                watchdog.disarm()
            ticks.append([1000 * e for e in Run.ticks])
            if timed:
                times.append(time.perf_counter() - t)
        give_back_memory()
        print(json.dumps(answer or {"ms": [1000 * t for t in times], "ticksMs": ticks}), flush=True)


def experiment_b_point(model, w, net, x, y, channels_last, device):
    """A study's Experiment B point in population mode with nested draws, the ordinary way:
    g_train over the training set and g_test over a test set of the given size, by forward and
    backward passes in chunks; g_total; then for each of K draws one batch of the largest B
    (a uniform draw without replacement), its gradient accumulated segment by segment in
    chunks, each prefix B measured as it completes: |g_B - g_train|^2, |g_B - g_total|^2,
    |g_B|^2 and g_B . g_total in float64, as gradscope's analysis measures them."""
    model.eval()
    chunk = w["chunk"]
    m, m_test = w["train"], w["test"]
    sizes = sorted(set(w["batch_sizes"]))
    c, h, wd = net["input"]
    x_test = torch.rand(m_test, c, h, wd).to(device)
    y_test = torch.randint(0, net["classes"], (m_test,)).to(device)
    image = channels_last and x.dim() == 4 and c > 1
    if image:
        x_test = x_test.contiguous(memory_format=torch.channels_last)
    params = list(model.parameters())

    def flat(scale):
        return torch.cat([p.grad.flatten() for p in params]).double() / scale

    def accumulate(xs, ys, rows, start, end):
        # the gradients of the loss sums of rows[start:end] added to .grad, chunk by chunk
        for s in range(start, end, chunk):
            e = min(s + chunk, end)
            if rows is None:
                xb, yb = xs[s:e], ys[s:e]
            else:
                xb, yb = xs[rows[s:e]], ys[rows[s:e]]
                if image:
                    xb = xb.contiguous(memory_format=torch.channels_last)
            F.cross_entropy(model(xb), yb, reduction="sum").backward()
            tick()

    def once():
        model.zero_grad()
        accumulate(x, y, None, 0, m)
        g_train = flat(m)
        model.zero_grad()
        accumulate(x_test, y_test, None, 0, m_test)
        g_total = (m * g_train + m_test * flat(m_test)) / (m + m_test)
        ((g_train - g_total) ** 2).sum().item()  # d^2
        generator = torch.Generator().manual_seed(12345)
        measures = []
        for _ in range(w.get("draws", 1)):
            batch = torch.randperm(m, generator=generator)[:sizes[-1]].to(device)
            model.zero_grad()
            previous = 0
            for b in sizes:
                accumulate(x, y, batch, previous, b)
                g = flat(b)
                measures.append(torch.stack([((g - g_train) ** 2).sum(), ((g - g_total) ** 2).sum(),
                                             (g * g).sum(), (g * g_total).sum()]).tolist())
                previous = b
        return measures

    return once


def give_back_memory():
    """Freed memory back to the system (glibc's malloc_trim; nothing elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    main()
