// TorchScript modules as networks: torch::jit::load, then every parameter re-pointed into
// the one flat vector (in named_parameters order, PyTorch's state_dict order) with its
// gradient a view of the flat gradient, and every batch norm's running_mean / running_var /
// num_batches_tracked into the flat statistics. The modes: train() for Train; train() with
// each dropout module back in eval and the running statistics restored afterwards for Batch;
// eval() for Population. The only translation unit that includes torch/script.h.
#include <torch/script.h>

#include <map>

#include "network.h"

namespace gradscope {

struct Script {
  torch::jit::Module module;
  std::vector<torch::jit::Module> dropouts;
};

Network::~Network() = default;

namespace {

const std::string suffixOf(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

}  // namespace

std::unique_ptr<Network> Network::fromTorchScript(const std::string& file, at::ScalarType dtype) {
  auto net = std::make_unique<Network>(dtype);
  net->script = std::make_shared<Script>();
  auto& module = net->script->module;
  const auto device = engineDevice();
  module = torch::jit::load(file, device);
  module.to(dtype);
  for (const auto& m : module.named_modules()) {
    auto type = m.value.type()->name();
    if (type && type->qualifiedName().find("Dropout") != std::string::npos)
      net->script->dropouts.push_back(m.value);
  }
  std::vector<std::pair<std::string, at::Tensor>> parameters;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    parameters.emplace_back(p.name, p.value);
  int64_t total = 0;
  for (auto& [name, p] : parameters) total += p.numel();
  // batch norms: the prefixes holding running_mean, running_var and num_batches_tracked
  std::vector<std::pair<std::string, at::Tensor>> buffers;
  for (const auto& b : module.named_buffers(/*recurse=*/true))
    buffers.emplace_back(b.name, b.value);
  std::vector<std::string> prefixes;
  std::map<std::string, std::map<std::string, at::Tensor>> byPrefix;
  for (auto& [name, b] : buffers) {
    const auto field = suffixOf(name);
    const auto prefix = name.substr(0, name.size() - field.size() - (name.size() > field.size()));
    if (field != "running_mean" && field != "running_var" && field != "num_batches_tracked")
      throw std::invalid_argument("buffer '" + name +
                                  "' is not a batch-norm statistic; gradscope cannot hold it");
    if (!byPrefix.count(prefix)) prefixes.push_back(prefix);
    byPrefix[prefix][field] = b;
  }
  int64_t statCount = 0;
  for (auto& prefix : prefixes) {
    auto& f = byPrefix[prefix];
    if (!f.count("running_mean") || !f.count("running_var") || !f.count("num_batches_tracked"))
      throw std::invalid_argument("batch norm '" + prefix + "' lacks a running statistic");
    statCount += 2 * f["running_mean"].numel();
  }
  const auto on = at::TensorOptions().device(device);
  net->flat = at::zeros({total}, on.dtype(dtype));
  net->flatGrad = at::zeros({total}, on.dtype(dtype));
  net->flatStats = at::zeros({statCount}, on.dtype(dtype));
  net->flatCounts = at::zeros({static_cast<int64_t>(prefixes.size())}, on.dtype(at::kLong));
  at::NoGradGuard noGrad;
  int64_t offset = 0;
  for (auto& [name, p] : parameters) {
    const auto n = p.numel();
    auto view = net->flat.narrow(0, offset, n).view(p.sizes());
    view.copy_(p);
    p.set_data(view);  // the module's own parameter now lives in flat
    p.mutable_grad() = net->flatGrad.narrow(0, offset, n).view(p.sizes());
    net->params.push_back(p);
    net->paramNames.push_back(name);
    offset += n;
  }
  int64_t statOffset = 0;
  for (size_t k = 0; k < prefixes.size(); ++k) {
    auto& f = byPrefix[prefixes[k]];
    const auto features = f["running_mean"].numel();
    auto mean = net->flatStats.narrow(0, statOffset, features);
    auto var = net->flatStats.narrow(0, statOffset + features, features);
    auto count = net->flatCounts.narrow(0, static_cast<int64_t>(k), 1);
    mean.copy_(f["running_mean"].flatten());
    var.copy_(f["running_var"].flatten());
    count.copy_(f["num_batches_tracked"].reshape({1}));
    f["running_mean"].set_data(mean);
    f["running_var"].set_data(var);
    // select, not view({}): `{}` picks Tensor::view(ScalarType) with ScalarType{} == kByte,
    // which reinterprets the int64 count as 8 bytes and makes add_(1) add 1 to each of them
    f["num_batches_tracked"].set_data(net->flatCounts.select(0, static_cast<int64_t>(k)));
    net->runningMean.push_back(mean);
    net->runningVar.push_back(var);
    net->batchCount.push_back(count);
    net->statNames.push_back(prefixes[k]);
    statOffset += 2 * features;
  }
  return net;
}

at::Tensor Network::scriptForward(const at::Tensor& x, Mode mode) {
  auto& s = *script;
  s.module.train(mode != Mode::Population);
  if (mode == Mode::Batch)
    for (auto& d : s.dropouts) d.train(false);
  at::Tensor saved, savedCounts;
  if (mode == Mode::Batch) {
    saved = flatStats.clone();
    savedCounts = flatCounts.clone();
  }
  auto out = s.module.forward({x}).toTensor();
  if (mode == Mode::Batch) {
    at::NoGradGuard noGrad;
    flatStats.copy_(saved);
    flatCounts.copy_(savedCounts);
  }
  return out;
}

}  // namespace gradscope
