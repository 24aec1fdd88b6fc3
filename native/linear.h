// A Linear layer's affine map y = x W^T + b. In float32 on the CPU it can run through
// oneDNN's matrix multiply (ATen's mkldnn_linear) instead of the linked BLAS: where that
// BLAS runs generic kernels (OpenBLAS falls back to its Prescott/SSE3 kernels on CPUs it
// does not recognise, as on some virtual machines) oneDNN's own JIT kernels for the CPU
// it finds are several times faster; elsewhere the two are close and `gradscope bench
// --tune` picks. Same results up to float rounding. oneDNN's own backward is not twice
// differentiable: a pass that needs second derivatives (Hessian-vector products) runs the
// layer as a product whose backward is two more oneDNN products (linear.cc).
#pragma once

#include "common.h"

namespace gradscope {

// Process-wide: float32 Linear layers on the CPU through oneDNN when true. Default true.
extern bool oneDnnLinear;

// The operator gradscope::linear(input, weight, bias?) that a TorchScript module's aten::linear
// calls are rewritten to (script.cc): linearLayer with secondOrder from this flag, which the
// pass running the module sets on its thread.
extern thread_local bool moduleSecondOrder;

at::Tensor linearLayer(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                       bool secondOrder);

// linearLayer on the last dimension of an input of any rank (leading dimensions taken as rows,
// as nn.Linear allows): a language model's [N, T, C] activations.
at::Tensor linearOverRows(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          bool secondOrder);

}  // namespace gradscope
