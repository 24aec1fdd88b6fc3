/**
 * A network as a short Python module: the PyTorch nn.Module with the same state_dict names
 * and the same computation, so a user goes both ways (`gradscope export NET --pytorch`):
 * train in PyTorch and analyse here, or load a gradscope checkpoint into PyTorch.
 *
 * Layer i of the list is module i of an nn.Sequential; a residual block is a `Residual`
 * module holding the Sequentials `branch` and `shortcut` (None: no skip; empty: identity).
 * The network's name is the one string from the user's file: it reaches the source only
 * through pythonString (src/core/quote.ts); every other value pasted is a validated number.
 */
import { pythonString, shellQuote } from '../core/quote';
import { resolveNetwork, type NetworkSpec, type ResolvedLayer } from '../engine/layers';

const HEADER = `import torch
from torch import nn


class Residual(nn.Module):
    """activation(branch(x) + shortcut(x)); shortcut None: no skip, empty: the identity."""

    def __init__(self, branch, shortcut, activation):
        super().__init__()
        self.branch = branch
        self.shortcut = shortcut
        self.activation = activation

    def forward(self, x):
        y = self.branch(x)
        if self.shortcut is not None:
            y = y + self.shortcut(x)
        return torch.relu(y) if self.activation else y


class GlobalAvgPool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))
`;

/** A language model's modules (nanoGPT's, dropout 0; the causal mask made in forward rather
 * than held as a buffer, so the state_dict holds parameters only). */
const LANGUAGE_HEADER = `import math
import torch.nn.functional as F


class Embedding(nn.Module):
    """Token and position embeddings (nanoGPT's wte, wpe): ids [N, T] -> [N, T, width]."""

    def __init__(self, vocabulary: int, context: int, width: int):
        super().__init__()
        self.wte = nn.Embedding(vocabulary, width)
        self.wpe = nn.Embedding(context, width)

    def forward(self, idx):
        positions = torch.arange(idx.size(1), dtype=torch.long, device=idx.device)
        return self.wte(idx) + self.wpe(positions)


class LayerNorm(nn.Module):
    """nanoGPT's LayerNorm: layer norm over the last dimension, its bias optional."""

    def __init__(self, features: int, bias: bool, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features)) if bias else None
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, self.eps)


class CausalSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, bias: bool):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width, bias=bias)
        self.c_proj = nn.Linear(width, width, bias=bias)
        self.heads = heads
        self.width = width

    def forward(self, x):
        n, t, c = x.size()
        qkv = self.c_attn(x)
        q = qkv.narrow(2, 0, c).view(n, t, self.heads, c // self.heads).transpose(1, 2)
        k = qkv.narrow(2, c, c).view(n, t, self.heads, c // self.heads).transpose(1, 2)
        v = qkv.narrow(2, 2 * c, c).view(n, t, self.heads, c // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        future = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        att = F.softmax(att.masked_fill(future, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(n, t, c)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, width: int, bias: bool):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width, bias=bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * width, width, bias=bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    """nanoGPT's pre-LayerNorm transformer block."""

    def __init__(self, width: int, heads: int, bias: bool, eps: float):
        super().__init__()
        self.ln_1 = LayerNorm(width, bias, eps)
        self.attn = CausalSelfAttention(width, heads, bias)
        self.ln_2 = LayerNorm(width, bias, eps)
        self.mlp = MLP(width, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class LanguageModel(nn.Sequential):
    """The layers in order, then the head: next-token scores [N, T, vocabulary] with the token
    embedding's weight (tied, as nanoGPT's lm_head, so it is registered once)."""

    def forward(self, idx):
        x = idx
        for module in self:
            x = module(x)
        return F.linear(x, self[0].wte.weight)
`;

function pythonFloat(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

function moduleOf(l: ResolvedLayer, indent: string): string {
  const bias = l.bias ? 'True' : 'False';
  switch (l.type) {
    case 'linear':
      return `nn.Linear(${l.in}, ${l.out}, bias=${bias})`;
    case 'conv2d':
      return `nn.Conv2d(${l.in}, ${l.out}, ${l.kernel}, stride=${l.stride}, padding=${l.padding}, bias=${bias})`;
    case 'batchnorm1d':
    case 'batchnorm2d':
      return `nn.BatchNorm${l.type === 'batchnorm1d' ? '1' : '2'}d(${l.out}, eps=${pythonFloat(l.eps!)}, momentum=${pythonFloat(l.momentum!)})`;
    case 'relu':
      return 'nn.ReLU()';
    case 'maxpool2d':
      return `nn.MaxPool2d(${l.kernel}, stride=${l.stride}, padding=${l.padding})`;
    case 'dropout':
      return `nn.Dropout(${pythonFloat(l.p!)})`;
    case 'flatten':
      return 'nn.Flatten()';
    case 'globalavgpool':
      return 'GlobalAvgPool()';
    case 'embedding':
      return `Embedding(${l.in}, ${l.context}, ${l.out})`;
    case 'block':
      return `Block(${l.out}, ${l.heads}, ${l.bias ? 'True' : 'False'}, ${pythonFloat(l.eps!)})`;
    case 'layernorm':
      return `LayerNorm(${l.out}, ${l.bias ? 'True' : 'False'}, ${pythonFloat(l.eps!)})`;
    case 'head':
      return ''; // LanguageModel's own last step (the weight is the embedding's)
    case 'residual': {
      const inner = indent + '    ';
      const shortcut = l.shortcut === null ? 'None' : sequential(l.shortcut!, inner);
      return `Residual(\n${inner}${sequential(l.branch!, inner)},\n${inner}${shortcut},\n${inner}${l.activation ? 'True' : 'False'},\n${indent})`;
    }
  }
}

function sequential(layers: ResolvedLayer[], indent: string, kind = 'nn.Sequential'): string {
  if (layers.length === 0) return `${kind}()`;
  const inner = indent + '    ';
  return `${kind}(\n${layers.map((l) => `${inner}${moduleOf(l, inner)},\n`).join('')}${indent})`;
}

/** The Python source: classes Residual and GlobalAvgPool, and `network()` building it. */
export function pytorchModule(spec: NetworkSpec): string {
  const resolved = resolveNetwork(spec);
  const [c, h, w] = spec.input;
  const name = String(spec.name);
  const io = resolved.language
    ? `Input: N x T token ids (int64), T at most ${w}; output: N x T x ${spec.classes} next-token scores.`
    : `Input: N x ${c} x ${h} x ${w}, scaled to [0, 1]; output: ${spec.classes} class scores.`;
  const docstring = `${name} as gradscope defines it (gradscope export ${shellQuote(name)} --pytorch).

${io}
network().state_dict() has gradscope's checkpoint names: load a checkpoint with
    network().load_state_dict(safetensors.torch.load_file('CHECKPOINT.safetensors'))
and save one for gradscope with
    safetensors.torch.save_file(model.state_dict(), 'model.safetensors')
`;
  return `${pythonString(docstring, { docstring: true })}
${HEADER}${resolved.language ? `\n\n${LANGUAGE_HEADER}` : ''}

def network():
    return ${
      resolved.language
        ? sequential(
            resolved.layers.filter((l) => l.type !== 'head'),
            '    ',
            'LanguageModel',
          )
        : sequential(resolved.layers, '    ')
    }
`;
}
