#include "gelu.h"

#include <torch/library.h>

#include <cmath>

#include "linear.h"

namespace gradscope {

at::Tensor geluLayer(const at::Tensor& x, bool secondOrder) {
  if (!secondOrder) return at::gelu(x);
  return 0.5 * x * (1 + at::erf(x * M_SQRT1_2));
}

namespace {

// gradscope::gelu, what a TorchScript module's aten::gelu calls become (script.cc): geluLayer
// with secondOrder from the pass running the module (linear.h, moduleSecondOrder); the tanh
// approximation as ATen computes it.
at::Tensor moduleGelu(const at::Tensor& x, c10::string_view approximate) {
  if (approximate != "none") return at::gelu(x, approximate);
  return geluLayer(x, moduleSecondOrder);
}

}  // namespace

}  // namespace gradscope

TORCH_LIBRARY_FRAGMENT(gradscope, m) {
  m.def("gelu(Tensor self, *, str approximate='none') -> Tensor");
}

TORCH_LIBRARY_IMPL(gradscope, CompositeImplicitAutograd, m) {
  m.impl("gelu", gradscope::moduleGelu);
}
