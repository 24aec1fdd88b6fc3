#include "linear.h"

namespace gradscope {

bool oneDnnLinear = true;

at::Tensor linearLayer(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                       bool secondOrder) {
  const bool oneDnn = oneDnnLinear && !secondOrder && at::hasMKLDNN() && x.dim() == 2 &&
                      x.device().is_cpu() && x.scalar_type() == at::kFloat &&
                      weight.scalar_type() == at::kFloat;
  if (!oneDnn) return at::linear(x, weight, bias);
  // to_mkldnn / to_dense are differentiable, so autograd runs oneDNN's backward too
  return at::mkldnn_linear(x.contiguous().to_mkldnn(), weight.contiguous(), bias).to_dense();
}

}  // namespace gradscope
