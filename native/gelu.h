// GELU, exact (x Phi(x), with erf), as nanoGPT's MLP and nn.GELU() compute it. A pass that needs
// second derivatives (a Hessian-vector product) writes it out as 0.5 x (1 + erf(x / sqrt 2)):
// in PyTorch 1.13 at::gelu runs through oneDNN in float32 on the CPU, and its double backward
// hands oneDNN the incoming gradient checking only the input's layout; the gradients that reach
// it from a product's backward (linear.cc) can be strided (transposed, broadcast), which oneDNN
// then reads as if dense (measured on a GPT: H v wrong by orders of magnitude, nondeterministic).
#pragma once

#include "common.h"

namespace gradscope {

at::Tensor geluLayer(const at::Tensor& x, bool secondOrder);

}  // namespace gradscope
