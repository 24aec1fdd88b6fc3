"""The PyTorch nn.Sequential equivalent to a gradscope layer list.

Input: the resolved layer list gradscope uses (each layer with its sizes filled in,
as src/engine/layers.ts resolves it). Layer i of the list is module i of the
Sequential, so state_dict keys agree with gradscope's checkpoint names.
"""
import torch.nn as nn


def build(layers):
    modules = []
    for layer in layers:
        t = layer["type"]
        if t == "linear":
            modules.append(nn.Linear(layer["in"], layer["out"], bias=layer["bias"]))
        elif t == "conv2d":
            modules.append(nn.Conv2d(layer["in"], layer["out"], layer["kernel"], stride=layer["stride"],
                                     padding=layer["padding"], bias=layer["bias"]))
        elif t == "batchnorm1d":
            modules.append(nn.BatchNorm1d(layer["out"], eps=layer["eps"], momentum=layer["momentum"]))
        elif t == "batchnorm2d":
            modules.append(nn.BatchNorm2d(layer["out"], eps=layer["eps"], momentum=layer["momentum"]))
        elif t == "relu":
            modules.append(nn.ReLU())
        elif t == "maxpool2d":
            modules.append(nn.MaxPool2d(layer["kernel"], stride=layer["stride"], padding=layer["padding"]))
        elif t == "dropout":
            modules.append(nn.Dropout(layer["p"]))
        elif t == "flatten":
            modules.append(nn.Flatten())
        else:
            raise ValueError("unknown layer type " + t)
    return nn.Sequential(*modules)
