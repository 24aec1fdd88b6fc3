#include "optimizer.h"

#include <stdexcept>

namespace gradscope {

namespace {
std::string keyOf(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }
}  // namespace

Optimizer::Optimizer(Network& network, const OptimizerSettings& s) : settings(s) {
  parameter = network.flat.detach().requires_grad_(true);
  parameter.mutable_grad() = network.flatGrad;
  if (s.kind == "adam") {
    impl = std::make_unique<torch::optim::Adam>(std::vector<at::Tensor>{parameter},
                                                torch::optim::AdamOptions(s.lr)
                                                    .betas({s.beta1, s.beta2})
                                                    .eps(s.eps)
                                                    .weight_decay(s.weightDecay));
  } else if (s.kind == "sgd") {
    impl = std::make_unique<torch::optim::SGD>(std::vector<at::Tensor>{parameter},
                                               torch::optim::SGDOptions(s.lr)
                                                   .momentum(s.momentum)
                                                   .dampening(s.dampening)
                                                   .weight_decay(s.weightDecay)
                                                   .nesterov(s.nesterov));
  } else {
    throw std::invalid_argument("unknown optimizer '" + s.kind + "'");
  }
}

void Optimizer::step() { impl->step(); }

void Optimizer::setLearningRate(double lr) {
  auto& options = impl->param_groups()[0].options();
  if (settings.kind == "adam")
    static_cast<torch::optim::AdamOptions&>(options).lr(lr);
  else
    static_cast<torch::optim::SGDOptions&>(options).lr(lr);
  settings.lr = lr;
}

double Optimizer::learningRate() const { return settings.lr; }

std::map<std::string, at::Tensor> Optimizer::state(int64_t* step) const {
  std::map<std::string, at::Tensor> out;
  *step = 0;
  auto& all = impl->state();
  auto found = all.find(keyOf(parameter));
  if (found == all.end()) return out;
  if (settings.kind == "adam") {
    auto& st = static_cast<torch::optim::AdamParamState&>(*found->second);
    *step = st.step();
    out["exp_avg"] = st.exp_avg().clone();
    out["exp_avg_sq"] = st.exp_avg_sq().clone();
  } else {
    auto& st = static_cast<torch::optim::SGDParamState&>(*found->second);
    if (st.momentum_buffer().defined()) out["momentum_buffer"] = st.momentum_buffer().clone();
  }
  return out;
}

void Optimizer::setState(const std::map<std::string, at::Tensor>& tensors, int64_t step) {
  auto& all = impl->state();
  all.erase(keyOf(parameter));
  auto shaped = [&](const char* name) {
    auto found = tensors.find(name);
    if (found == tensors.end()) throw std::invalid_argument(std::string("missing state ") + name);
    if (found->second.numel() != parameter.numel())
      throw std::invalid_argument(std::string("state ") + name + " has the wrong size");
    return found->second.to(parameter.device(), parameter.scalar_type()).clone();
  };
  if (settings.kind == "adam") {
    if (tensors.empty() && step == 0) return;  // fresh: Adam creates its state on the first step
    auto st = std::make_unique<torch::optim::AdamParamState>();
    st->step(step);
    st->exp_avg(shaped("exp_avg"));
    st->exp_avg_sq(shaped("exp_avg_sq"));
    all[keyOf(parameter)] = std::move(st);
  } else {
    if (tensors.empty()) return;
    auto st = std::make_unique<torch::optim::SGDParamState>();
    st->momentum_buffer(shaped("momentum_buffer"));
    all[keyOf(parameter)] = std::move(st);
  }
}

}  // namespace gradscope
