// TorchScript modules as networks: torch::jit::load, then every parameter re-pointed into
// the one flat vector (in named_parameters order, PyTorch's state_dict order) with its
// gradient a view of the flat gradient, and the running_mean / running_var /
// num_batches_tracked of every batch norm (found by module type: BatchNorm1d/2d/3d,
// SyncBatchNorm) into the flat statistics. Any other buffer stays where it is, named by
// otherState. The modes: train() for Train; eval() with each batch norm back in train and
// the running statistics (and other buffers) restored afterwards for Batch; eval() for
// Population. Its Linear layers and GELUs run as the built-in networks' do (linear.cc, gelu.h):
// every aten::linear of its code becomes gradscope::linear, every aten::gelu gradscope::gelu. The
// only translation unit that includes torch/script.h.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/subgraph_rewrite.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/script.h>

#include <cmath>
#include <map>
#include <set>

#include "dataset.h"
#include "linear.h"
#include "network.h"

namespace gradscope {

// A batch norm of the module: its module and how its running statistics move in train mode
// (running = (1 - momentum) running + momentum batch; cumulative: momentum=None, the mean
// over batches by num_batches_tracked).
struct ScriptBatchNorm {
  torch::jit::Module module;
  bool cumulative = false;
  double momentum = std::nan("");  // NaN: not found as a constant or an attribute
};

struct Script {
  torch::jit::Module module;
  std::vector<ScriptBatchNorm> batchNorms;  // in statNames order
  std::vector<at::Tensor> otherBuffers;     // buffers that are no batch norm's statistics
  std::vector<std::string> otherNames;      // "name (ModuleType)"
};

Network::~Network() = default;

namespace {

const std::string suffixOf(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// The class name of a module, without its namespaces (and TorchScript's mangling).
std::string typeOf(const torch::jit::Module& m) {
  auto type = m.type()->name();
  return type ? suffixOf(type->qualifiedName()) : std::string("?");
}

bool isBatchNorm(const std::string& type) {
  return type == "BatchNorm1d" || type == "BatchNorm2d" || type == "BatchNorm3d" ||
         type == "SyncBatchNorm";
}

// A batch norm's momentum: a class constant in PyTorch's BatchNorm (None: cumulative).
ScriptBatchNorm batchNormOf(const torch::jit::Module& m) {
  ScriptBatchNorm bn{m};
  auto value = m.type()->findConstant("momentum");
  if (!value && m.hasattr("momentum")) value = m.attr("momentum");
  if (value && value->isNone()) bn.cumulative = true;
  if (value && value->isDouble()) bn.momentum = value->toDouble();
  return bn;
}

// Every aten::linear in the module's code (its methods, its submodules' and the functions they
// call: torch::jit::load puts them all in one compilation unit) becomes gradscope::linear, so a
// module's Linear layers take the built-in networks' kernels (oneDNN in float32 on the CPU,
// linear.cc). On the 2-core machine whose OpenBLAS runs generic kernels a scripted F1 step ran 3-4x
// slower in aten::linear. Every aten::gelu becomes gradscope::gelu (gelu.h: twice differentiable
// where a second-order pass needs it).
void linearAsBuiltIn(torch::jit::Module& module) {
  torch::jit::SubgraphRewriter rewriter;
  rewriter.RegisterRewritePattern(R"IR(
graph(%x, %approximate):
  %y = aten::gelu(%x, %approximate)
  return (%y))IR",
                                  R"IR(
graph(%x, %approximate):
  %y = gradscope::gelu(%x, %approximate)
  return (%y))IR");
  rewriter.RegisterRewritePattern(R"IR(
graph(%x, %w, %b):
  %y = aten::linear(%x, %w, %b)
  return (%y))IR",
                                  R"IR(
graph(%x, %w, %b):
  %y = gradscope::linear(%x, %w, %b)
  return (%y))IR");
  for (auto* function : module._ivalue()->compilation_unit()->get_functions()) {
    if (!function->isGraphFunction()) continue;
    auto graph = torch::jit::toGraphFunction(*function).graph();
    rewriter.runOnGraph(graph);
  }
}

}  // namespace

std::unique_ptr<Network> Network::fromTorchScript(const std::string& file, at::ScalarType dtype) {
  auto net = std::make_unique<Network>(dtype);
  net->script = std::make_shared<Script>();
  auto& s = *net->script;
  auto& module = s.module;
  const auto device = engineDevice();
  module = torch::jit::load(file, device);
  linearAsBuiltIn(module);
  // floating-point tensors only, as PyTorch's Module.to(dtype) does (libtorch's converts
  // every tensor, num_batches_tracked too)
  {
    at::NoGradGuard noGrad;
    for (auto p : module.parameters(/*recurse=*/true))
      if (p.is_floating_point()) p.set_data(p.to(dtype));
    for (auto b : module.buffers(/*recurse=*/true))
      if (b.is_floating_point()) b.set_data(b.to(dtype));
  }
  std::vector<std::pair<std::string, at::Tensor>> parameters;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    parameters.emplace_back(p.name, p.value);
  int64_t total = 0;
  for (auto& [name, p] : parameters) total += p.numel();
  // batch norms by module type, those that track running statistics
  std::vector<std::string> prefixes;
  std::vector<std::map<std::string, at::Tensor>> fields;
  std::set<const c10::TensorImpl*> statistics;
  for (const auto& m : module.named_modules()) {
    if (!isBatchNorm(typeOf(m.value))) continue;
    std::map<std::string, at::Tensor> f;
    for (const char* field : {"running_mean", "running_var", "num_batches_tracked"})
      if (m.value.hasattr(field) && m.value.attr(field).isTensor())
        f[field] = m.value.attr(field).toTensor();
    if (f.empty()) continue;  // track_running_stats=False: batch statistics in every mode
    if (f.size() != 3)
      throw std::invalid_argument("batch norm '" + m.name + "' lacks a running statistic");
    for (auto& [field, t] : f) statistics.insert(t.unsafeGetTensorImpl());
    prefixes.push_back(m.name);
    fields.push_back(f);
    s.batchNorms.push_back(batchNormOf(m.value));
  }
  // any other buffer: state gradscope neither holds nor checkpoints
  std::map<std::string, std::string> typeByPrefix;
  for (const auto& m : module.named_modules()) typeByPrefix[m.name] = typeOf(m.value);
  for (const auto& b : module.named_buffers(/*recurse=*/true)) {
    if (statistics.count(b.value.unsafeGetTensorImpl())) continue;
    const auto field = suffixOf(b.name);
    const auto prefix = b.name.substr(0, b.name.size() - field.size() - (b.name != field));
    s.otherBuffers.push_back(b.value);
    s.otherNames.push_back(b.name + " (" + typeByPrefix[prefix] + ")");
  }
  int64_t statCount = 0;
  for (auto& f : fields) statCount += 2 * f["running_mean"].numel();
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
    auto& f = fields[k];
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

std::vector<std::string> Network::otherState() const {
  return script ? script->otherNames : std::vector<std::string>{};
}

namespace {

// The module's mutable state outside the parameters, to put back after a pass that must
// not change it.
struct SavedState {
  at::Tensor stats, counts;
  std::vector<at::Tensor> others;
};

SavedState saveState(const Network& net) {
  SavedState saved{net.flatStats.clone(), net.flatCounts.clone(), {}};
  for (auto& b : net.script->otherBuffers) saved.others.push_back(b.clone());
  return saved;
}

void restoreState(Network& net, const SavedState& saved) {
  at::NoGradGuard noGrad;
  net.flatStats.copy_(saved.stats);
  net.flatCounts.copy_(saved.counts);
  for (size_t i = 0; i < saved.others.size(); ++i)
    net.script->otherBuffers[i].copy_(saved.others[i]);
}

}  // namespace

at::Tensor Network::scriptForward(const at::Tensor& x, Mode mode) {
  auto& s = *script;
  // the graph executor without its optimisations: the module's operators as eager PyTorch
  // runs them. Measured alternated on the 2-core machine (TorchScript / built-in, BLAS
  // Linear): ResNet20 step B=128 1.19 with them, 1.00 without; F1 step B=256 1.04, 0.98
  torch::jit::GraphOptimizerEnabledGuard plain(false);
  struct SecondOrder {  // gradscope::linear's choice for this pass (linear.cc)
    explicit SecondOrder(bool on) { moduleSecondOrder = on; }
    ~SecondOrder() { moduleSecondOrder = false; }
  } linearOrder(secondOrder);
  s.module.train(mode == Mode::Train);
  if (mode != Mode::Batch) return s.module.forward({x}).toTensor();
  for (auto& bn : s.batchNorms) bn.module.train(true);
  const auto saved = saveState(*this);
  auto out = s.module.forward({x}).toTensor();
  restoreState(*this, saved);
  return out;
}

// Each batch norm in turn (registration order, the forward order of the modules gradscope
// exports and of most models), the module in eval mode with that one batch norm in train
// mode and its statistics zeroed, over all the examples in one pass: its running mean and
// variance become momentum times the exact per-channel mean and unbiased variance of its
// input (times 1 when cumulative: num_batches_tracked zeroed first), divided back. The
// built-in networks' numbers, without chunking (combining chunks needs the per-channel
// element count, which the module does not give); num_batches_tracked and other buffers
// are left as they were.
std::optional<Evaluation> Network::scriptRecalibrate(Dataset& data, const at::Tensor& indices) {
  auto& s = *script;
  at::NoGradGuard noGrad;
  torch::jit::GraphOptimizerEnabledGuard plain(false);  // as in scriptForward
  const auto saved = saveState(*this);
  auto [x, y] = data.gather(indices, dtype);
  s.module.train(false);
  for (size_t k = 0; k < s.batchNorms.size(); ++k) {
    auto& bn = s.batchNorms[k];
    if (!bn.cumulative && !(bn.momentum > 0))
      throw std::invalid_argument("batch norm '" + statNames[k] +
                                  "': its momentum is not a positive number, so its running "
                                  "statistics cannot be recalibrated");
    runningMean[k].zero_();
    runningVar[k].zero_();
    batchCount[k].zero_();
    bn.module.train(true);
    s.module.forward({x});
    bn.module.train(false);
    if (!bn.cumulative) {
      runningMean[k].div_(bn.momentum);
      runningVar[k].div_(bn.momentum);
    }
    runningVar[k].clamp_min_(0);
  }
  flatCounts.copy_(saved.counts);
  for (size_t i = 0; i < saved.others.size(); ++i) s.otherBuffers[i].copy_(saved.others[i]);
  return std::nullopt;
}

}  // namespace gradscope
