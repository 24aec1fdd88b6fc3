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
    case 'residual': {
      const inner = indent + '    ';
      const shortcut = l.shortcut === null ? 'None' : sequential(l.shortcut!, inner);
      return `Residual(\n${inner}${sequential(l.branch!, inner)},\n${inner}${shortcut},\n${inner}${l.activation ? 'True' : 'False'},\n${indent})`;
    }
  }
}

function sequential(layers: ResolvedLayer[], indent: string): string {
  if (layers.length === 0) return 'nn.Sequential()';
  const inner = indent + '    ';
  return `nn.Sequential(\n${layers.map((l) => `${inner}${moduleOf(l, inner)},\n`).join('')}${indent})`;
}

/** The Python source: classes Residual and GlobalAvgPool, and `network()` building it. */
export function pytorchModule(spec: NetworkSpec): string {
  const resolved = resolveNetwork(spec);
  const [c, h, w] = spec.input;
  const name = String(spec.name);
  const docstring = `${name} as gradscope defines it (gradscope export ${shellQuote(name)} --pytorch).

Input: N x ${c} x ${h} x ${w}, scaled to [0, 1]; output: ${spec.classes} class scores.
network().state_dict() has gradscope's checkpoint names: load a checkpoint with
    network().load_state_dict(safetensors.torch.load_file('CHECKPOINT.safetensors'))
and save one for gradscope with
    safetensors.torch.save_file(model.state_dict(), 'model.safetensors')
`;
  return `${pythonString(docstring, { docstring: true })}
${HEADER}

def network():
    return ${sequential(resolved.layers, '    ')}
`;
}
