"""nanoGPT's model (Karpathy, github.com/karpathy/nanoGPT, model.py) as PyTorch 1.13 runs it (no
flash attention: the causal mask is the `bias` buffer), dropout 0 (its one copy is the bench's,
bench/pytorch_bench.py, so the bench times the model these tests check), and what the tests
compare gradscope's built-in GPT against: its loss, next-token accuracy, gradient and Hessian-vector
product at given weights, and its initial weights for a seed.

argv: args.json holding {config, dtype, names (gradscope's parameter names, in order), w, v,
windows (N x (T + 1) token ids), seed}. Prints one JSON line.
"""
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ beside the shipped bench script
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from pytorch_bench import GPT, GPTConfig  # noqa: E402


def nanogpt_name(name, layers):
    """gradscope's parameter name -> nanoGPT's (src/engine/layers.ts says the mapping)."""
    index, rest = name.split(".", 1)
    index = int(index)
    if index == 0:
        return "transformer." + rest
    if index <= layers:
        return "transformer.h.%d.%s" % (index - 1, rest)
    return "transformer.ln_f." + rest


def main():
    args = json.load(open(sys.argv[1]))
    c = args["config"]
    config = GPTConfig(
        block_size=c["context"],
        vocab_size=c["vocabulary"],
        n_layer=c["layers"],
        n_head=c["heads"],
        n_embd=c["width"],
        bias=c.get("bias", True),
    )
    result = {}
    torch.manual_seed(args["seed"])
    fresh = GPT(config)
    named = dict(fresh.named_parameters())
    result["initial"] = torch.cat(
        [named[nanogpt_name(n, config.n_layer)].detach().reshape(-1) for n in args["names"]]
    ).tolist()

    dtype = torch.float64 if args["dtype"] == "float64" else torch.float32
    model = GPT(config).to(dtype)
    named = dict(model.named_parameters())
    params = [named[nanogpt_name(n, config.n_layer)] for n in args["names"]]
    assert len(params) == len(named), "every parameter of nanoGPT is one of gradscope's"
    w = torch.tensor(args["w"], dtype=dtype)
    with torch.no_grad():
        offset = 0
        for p in params:
            p.copy_(w[offset : offset + p.numel()].view_as(p))
            offset += p.numel()
    windows = torch.tensor(args["windows"], dtype=torch.long).view(-1, args["context"] + 1)
    x, y = windows[:, :-1].contiguous(), windows[:, 1:].contiguous()
    logits, loss = model(x, y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    v = torch.tensor(args["v"], dtype=dtype)
    dot = sum((g.reshape(-1) * v[o : o + g.numel()]).sum() for g, o in zip(grads, offsets(params)))
    hv = torch.autograd.grad(dot, params)
    result["loss"] = loss.item()
    result["accuracy"] = (logits.argmax(-1) == y).double().mean().item()
    result["gradient"] = torch.cat([g.detach().reshape(-1) for g in grads]).tolist()
    result["hv"] = torch.cat([h.reshape(-1) for h in hv]).tolist()
    print(json.dumps(result))


def offsets(params):
    out, o = [], 0
    for p in params:
        out.append(o)
        o += p.numel()
    return out


if __name__ == "__main__":
    main()
