// libtorch's own Adam and SGD, run over ONE tensor: the network's flat parameter
// buffer, whose gradient is the flat gradient buffer. The update is elementwise,
// so this is exactly the per-parameter update PyTorch does, in one sweep.
#pragma once

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <map>
#include <memory>

#include "network.h"

namespace gradscope {

struct OptimizerSettings {
  std::string kind;  // "adam" | "sgd"
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0;
  double momentum = 0, dampening = 0;
  bool nesterov = false;
};

class Optimizer {
 public:
  Optimizer(Network& network, const OptimizerSettings& settings);
  void step();
  void setLearningRate(double lr);
  double learningRate() const;
  // Named state tensors (copies) and the step count; empty before the first step
  // where the algorithm creates its state lazily.
  std::map<std::string, at::Tensor> state(int64_t* step) const;
  void setState(const std::map<std::string, at::Tensor>& tensors, int64_t step);

  OptimizerSettings settings;
  at::Tensor parameter;  // shares memory with Network::flat
  std::unique_ptr<torch::optim::Optimizer> impl;
};

}  // namespace gradscope
