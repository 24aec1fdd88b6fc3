#include "linear.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

namespace gradscope {

bool oneDnnLinear = true;
thread_local bool moduleSecondOrder = false;

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct OneDnnWeightProduct;

// a b^T through oneDNN (a: [N, k], b: [m, k]), twice differentiable: its backward is d a = g b,
// another of itself, and d b = g^T a, a OneDnnWeightProduct, so a pass that builds the graph of
// its gradient (create_graph, a Hessian-vector product) differentiates those again.
struct OneDnnProduct : public torch::autograd::Function<OneDnnProduct> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b) {
    ctx->save_for_backward({a, b});
    return at::mkldnn_linear(a.contiguous().to_mkldnn(), b.contiguous(), {}).to_dense();
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads);
};

// g^T a through oneDNN's weight-gradient inner product (g: [N, m], a: [N, k]; the sum over the
// N rows), which reads both as they are: as a product of the transposes (mkldnn_linear of
// g^T and a^T) it copied both and ran 1.3-4x slower (5000 rows, 2 threads, m x k = 512 x 512:
// 19.6 against 26.2 ms; 10 x 512: 1.6 against 6.7 ms). Its backward: d g = a G^T, d a = g G.
struct OneDnnWeightProduct : public torch::autograd::Function<OneDnnWeightProduct> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& g, const at::Tensor& a) {
    ctx->save_for_backward({g, a});
    auto shape = at::empty({g.size(1), a.size(1)}, a.options());  // the weight's shape and type
    return std::get<0>(at::mkldnn_linear_backward_weights(g.contiguous().to_mkldnn(),
                                                          a.contiguous().to_mkldnn(), shape,
                                                          /*bias_defined=*/false));
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& g = saved[0];
    const auto& a = saved[1];
    const auto& G = grads[0];
    return {OneDnnProduct::apply(a, G), OneDnnProduct::apply(g, G.t())};
  }
};

variable_list OneDnnProduct::backward(AutogradContext* ctx, variable_list grads) {
  auto saved = ctx->get_saved_variables();
  const auto& a = saved[0];
  const auto& b = saved[1];
  const auto& g = grads[0];
  return {OneDnnProduct::apply(g, b.t()), OneDnnWeightProduct::apply(g, a)};
}

}  // namespace

at::Tensor linearLayer(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                       bool secondOrder) {
  const bool oneDnn = oneDnnLinear && at::hasMKLDNN() && x.dim() == 2 && x.device().is_cpu() &&
                      x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat;
  if (!oneDnn) return at::linear(x, weight, bias);
  if (secondOrder) {
    auto y = OneDnnProduct::apply(x, weight);
    return bias.defined() ? y + bias : y;
  }
  // to_mkldnn / to_dense are differentiable, so autograd runs oneDNN's own backward (once)
  return at::mkldnn_linear(x.contiguous().to_mkldnn(), weight.contiguous(), bias).to_dense();
}

at::Tensor linearOverRows(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                          bool secondOrder) {
  if (x.dim() < 2) return at::linear(x, weight, bias);
  if (x.dim() == 2) return linearLayer(x, weight, bias, secondOrder);
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  return linearLayer(x.reshape({-1, x.size(-1)}), weight, bias, secondOrder).reshape(sizes);
}

namespace {

// gradscope::linear, what a TorchScript module's aten::linear calls become (script.cc):
// linearLayer for inputs of any rank. CompositeImplicitAutograd: autograd differentiates the
// operators it calls.
at::Tensor moduleLinear(const at::Tensor& x, const at::Tensor& weight,
                        const c10::optional<at::Tensor>& bias) {
  return linearOverRows(x, weight, bias.has_value() ? *bias : at::Tensor(), moduleSecondOrder);
}

}  // namespace

}  // namespace gradscope

TORCH_LIBRARY(gradscope, m) {
  m.def("linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor");
}

TORCH_LIBRARY_IMPL(gradscope, CompositeImplicitAutograd, m) {
  m.impl("linear", gradscope::moduleLinear);
}
