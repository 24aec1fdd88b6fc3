"""nanoGPT's model (Karpathy, github.com/karpathy/nanoGPT, model.py) as PyTorch 1.13 runs it (no
flash attention: the causal mask is the `bias` buffer), dropout 0, and what the tests compare
gradscope's built-in GPT against: its loss, next-token accuracy, gradient and Hessian-vector
product at given weights, and its initial weights for a seed.

argv: args.json holding {config, dtype, names (gradscope's parameter names, in order), w, v,
windows (N x (T + 1) token ids), seed}. Prints one JSON line.
"""
import json
import math
import sys
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F


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
        self.dropout = config.dropout
        self.register_buffer(
            "bias",
            torch.tril(torch.ones(config.block_size, config.block_size)).view(
                1, 1, config.block_size, config.block_size
            ),
        )

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
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=nn.Embedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=LayerNorm(config.n_embd, bias=config.bias),
            )
        )
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
        loss = F.cross_entropy(
            logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1
        )
        return logits, loss


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
