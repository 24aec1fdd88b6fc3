#include "network.h"

#include <cmath>
#include <stdexcept>

#include "gelu.h"
#include "linear.h"

namespace gradscope {

bool channelsLastConvolutions = true;

Mode parseMode(const std::string& name) {
  if (name == "train") return Mode::Train;
  if (name == "batch") return Mode::Batch;
  if (name == "population") return Mode::Population;
  throw std::invalid_argument("unknown mode '" + name + "'");
}

namespace {

struct Shape {
  std::vector<int64_t> dims;
  int64_t numel() const {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
};

// PyTorch's default initialisation of Linear and Conv2d (kaiming_uniform_ with
// a = sqrt(5), then a uniform bias), reproduced operation for operation so that
// the same seed gives the same weights as the equivalent nn.Sequential.
void initialiseLikePyTorch(at::Tensor& weight, at::Tensor* bias, int64_t fanIn) {
  at::NoGradGuard noGrad;
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1 + a * a));
  const double std = gain / std::sqrt(static_cast<double>(fanIn));
  const double bound = std::sqrt(3.0) * std;
  weight.uniform_(-bound, bound);
  if (bias) {
    const double biasBound = fanIn > 0 ? 1 / std::sqrt(static_cast<double>(fanIn)) : 0;
    bias->uniform_(-biasBound, biasBound);
  }
}

}  // namespace

namespace {

// A transformer block's parameters, in nanoGPT's registration order (Block: ln_1, attn.c_attn,
// attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj, each weight then bias).
enum BlockPart {
  Ln1Weight,
  Ln1Bias,
  AttnWeight,
  AttnBias,
  AttnProjWeight,
  AttnProjBias,
  Ln2Weight,
  Ln2Bias,
  FcWeight,
  FcBias,
  MlpProjWeight,
  MlpProjBias,
  BlockParts
};

void registerBlock(Layer& l, const std::string& at, std::vector<Shape>& shapes,
                   std::vector<std::string>& names) {
  const int64_t c = l.out;
  struct Part {
    const char* name;
    std::vector<int64_t> dims;
    bool isBias;
  };
  const Part table[BlockParts] = {{"ln_1.weight", {c}, false},
                                  {"ln_1.bias", {c}, true},
                                  {"attn.c_attn.weight", {3 * c, c}, false},
                                  {"attn.c_attn.bias", {3 * c}, true},
                                  {"attn.c_proj.weight", {c, c}, false},
                                  {"attn.c_proj.bias", {c}, true},
                                  {"ln_2.weight", {c}, false},
                                  {"ln_2.bias", {c}, true},
                                  {"mlp.c_fc.weight", {4 * c, c}, false},
                                  {"mlp.c_fc.bias", {4 * c}, true},
                                  {"mlp.c_proj.weight", {c, 4 * c}, false},
                                  {"mlp.c_proj.bias", {c}, true}};
  l.parts.assign(BlockParts, -1);
  for (int k = 0; k < BlockParts; ++k) {
    if (table[k].isBias && !l.bias) continue;
    l.parts[k] = static_cast<int>(shapes.size());
    names.push_back(at + table[k].name);
    shapes.push_back({table[k].dims});
  }
}

// Each layer's parameters in registration order (depth first: a block's branch, then its
// shortcut), named as PyTorch names them ("3.branch.0.weight"). A head takes the weight of the
// token embedding before it (tied: no parameter of its own).
void registerParameters(std::vector<Layer>& list, const std::string& prefix,
                        std::vector<Shape>& shapes, std::vector<std::string>& names,
                        std::vector<Layer*>& batchNorms) {
  int tokenEmbedding = -1;
  for (size_t i = 0; i < list.size(); ++i) {
    auto& l = list[i];
    const std::string at = prefix + std::to_string(i) + ".";
    switch (l.kind) {
      case Layer::Kind::Embedding:
        l.parts = {static_cast<int>(shapes.size()), static_cast<int>(shapes.size()) + 1};
        tokenEmbedding = l.parts[0];
        names.push_back(at + "wte.weight");
        shapes.push_back({{l.in, l.out}});
        names.push_back(at + "wpe.weight");
        shapes.push_back({{l.context, l.out}});
        break;
      case Layer::Kind::Block: registerBlock(l, at, shapes, names); break;
      case Layer::Kind::LayerNorm:
        l.weightIndex = static_cast<int>(shapes.size());
        names.push_back(at + "weight");
        shapes.push_back({{l.out}});
        if (l.bias) {
          l.biasIndex = static_cast<int>(shapes.size());
          names.push_back(at + "bias");
          shapes.push_back({{l.out}});
        }
        break;
      case Layer::Kind::Head:
        if (tokenEmbedding < 0)
          throw std::invalid_argument("a head needs a token embedding before it");
        l.weightIndex = tokenEmbedding;
        break;
      case Layer::Kind::Linear:
      case Layer::Kind::Conv2d:
        l.weightIndex = static_cast<int>(shapes.size());
        names.push_back(at + "weight");
        if (l.kind == Layer::Kind::Linear)
          shapes.push_back({{l.out, l.in}});
        else
          shapes.push_back({{l.out, l.in, l.kernel, l.kernel}});
        if (l.bias) {
          l.biasIndex = static_cast<int>(shapes.size());
          names.push_back(at + "bias");
          shapes.push_back({{l.out}});
        }
        break;
      case Layer::Kind::BatchNorm:
        l.weightIndex = static_cast<int>(shapes.size());
        names.push_back(at + "weight");
        shapes.push_back({{l.out}});
        l.biasIndex = static_cast<int>(shapes.size());
        names.push_back(at + "bias");
        shapes.push_back({{l.out}});
        l.stats = static_cast<int>(batchNorms.size());
        batchNorms.push_back(&l);
        break;
      case Layer::Kind::Residual:
        registerParameters(l.branch, at + "branch.", shapes, names, batchNorms);
        registerParameters(l.shortcut, at + "shortcut.", shapes, names, batchNorms);
        break;
      default: break;
    }
  }
}

// A language model's weights as nanoGPT's GPT(config) draws them after torch.manual_seed:
// first what its modules' constructors draw (nn.Embedding: N(0, 1); nn.Linear: PyTorch's
// default; the token embedding's own draw is discarded when the head's weight replaces it),
// then its _init_weights (every Linear and Embedding weight N(0, 0.02), biases zero; the tied
// weight drawn again as the head's), then N(0, 0.02 / sqrt(2 layers)) for each c_proj weight.
void initialiseLanguageModel(std::vector<Layer>& list, std::vector<at::Tensor>& params) {
  at::NoGradGuard noGrad;
  auto linear = [&](const Layer& l, int weight, int bias) {
    initialiseLikePyTorch(params[weight], bias >= 0 ? &params[bias] : nullptr,
                          params[weight].size(1));
    if (bias < 0 && l.bias) throw std::logic_error("a block's bias is missing");
  };
  int64_t blocks = 0;
  for (auto& l : list) {
    if (l.kind == Layer::Kind::Embedding) {
      at::empty_like(params[l.parts[0]]).normal_(0, 1);  // wte's own, replaced by the head's
      params[l.parts[1]].normal_(0, 1);
    } else if (l.kind == Layer::Kind::Block) {
      ++blocks;
      params[l.parts[Ln1Weight]].fill_(1);
      params[l.parts[Ln2Weight]].fill_(1);
      if (l.bias) {
        params[l.parts[Ln1Bias]].zero_();
        params[l.parts[Ln2Bias]].zero_();
      }
      linear(l, l.parts[AttnWeight], l.parts[AttnBias]);
      linear(l, l.parts[AttnProjWeight], l.parts[AttnProjBias]);
      linear(l, l.parts[FcWeight], l.parts[FcBias]);
      linear(l, l.parts[MlpProjWeight], l.parts[MlpProjBias]);
    } else if (l.kind == Layer::Kind::LayerNorm) {
      params[l.weightIndex].fill_(1);
      if (l.bias) params[l.biasIndex].zero_();
    } else if (l.kind == Layer::Kind::Head) {
      initialiseLikePyTorch(params[l.weightIndex], nullptr, params[l.weightIndex].size(1));
    }
  }
  for (auto& l : list) {
    if (l.kind == Layer::Kind::Embedding) {
      params[l.parts[0]].normal_(0, 0.02);
      params[l.parts[1]].normal_(0, 0.02);
    } else if (l.kind == Layer::Kind::Block) {
      for (int k : {AttnWeight, AttnProjWeight, FcWeight, MlpProjWeight}) {
        params[l.parts[k]].normal_(0, 0.02);
        if (l.parts[k + 1] >= 0) params[l.parts[k + 1]].zero_();
      }
    } else if (l.kind == Layer::Kind::Head) {
      params[l.weightIndex].normal_(0, 0.02);
    }
  }
  const double projection =
      0.02 / std::sqrt(2.0 * static_cast<double>(std::max<int64_t>(blocks, 1)));
  for (auto& l : list)
    if (l.kind == Layer::Kind::Block)
      for (int k : {AttnProjWeight, MlpProjWeight}) params[l.parts[k]].normal_(0, projection);
}

void initialise(std::vector<Layer>& list, std::vector<at::Tensor>& params,
                std::vector<at::Tensor>& runningMean, std::vector<at::Tensor>& runningVar) {
  for (auto& l : list) {
    if (l.kind == Layer::Kind::Linear || l.kind == Layer::Kind::Conv2d) {
      const int64_t fanIn = l.kind == Layer::Kind::Linear ? l.in : l.in * l.kernel * l.kernel;
      initialiseLikePyTorch(params[l.weightIndex], l.bias ? &params[l.biasIndex] : nullptr, fanIn);
    } else if (l.kind == Layer::Kind::BatchNorm) {
      params[l.weightIndex].fill_(1);
      params[l.biasIndex].zero_();
      runningMean[l.stats].zero_();
      runningVar[l.stats].fill_(1);
    } else if (l.kind == Layer::Kind::Residual) {
      initialise(l.branch, params, runningMean, runningVar);
      initialise(l.shortcut, params, runningMean, runningVar);
    }
  }
}

// Thrown by forward when it reaches the batch norm being recalibrated: its input is held.
struct Captured {};

}  // namespace

Network::Network(std::vector<Layer> layerList, at::ScalarType type, uint64_t seed)
    : layers(std::move(layerList)), dtype(type) {
  // First pass: the shapes of every parameter and statistic, in registration order.
  std::vector<Shape> paramShapes;
  std::vector<Layer*> batchNorms;
  registerParameters(layers, "", paramShapes, paramNames, batchNorms);
  for (auto& l : layers) {
    nested = nested || l.kind == Layer::Kind::Residual;
    language = language || l.kind == Layer::Kind::Embedding;
  }
  int64_t statCount = 0;
  for (auto* bn : batchNorms) statCount += 2 * bn->out;
  const auto bnCount = static_cast<int64_t>(batchNorms.size());
  int64_t total = 0;
  for (auto& s : paramShapes) total += s.numel();

  flat = at::zeros({total}, at::TensorOptions().dtype(dtype));
  flatGrad = at::zeros({total}, at::TensorOptions().dtype(dtype));
  flatStats = at::zeros({statCount}, at::TensorOptions().dtype(dtype));
  flatCounts = at::zeros({bnCount}, at::TensorOptions().dtype(at::kLong));

  int64_t offset = 0;
  for (auto& s : paramShapes) {
    auto n = s.numel();
    auto p = flat.narrow(0, offset, n).view(s.dims).detach().requires_grad_(true);
    p.mutable_grad() = flatGrad.narrow(0, offset, n).view(s.dims);
    params.push_back(p);
    offset += n;
  }
  int64_t statOffset = 0;
  for (auto* bn : batchNorms) {
    runningMean.push_back(flatStats.narrow(0, statOffset, bn->out));
    runningVar.push_back(flatStats.narrow(0, statOffset + bn->out, bn->out));
    batchCount.push_back(flatCounts.narrow(0, bn->stats, 1));
    statOffset += 2 * bn->out;
  }

  // Initialise in registration order from the seed, as PyTorch would: on the CPU, whose
  // generator gives the same weights as PyTorch's on any device, then moved.
  at::manual_seed(seed);
  at::NoGradGuard noGrad;
  if (language)
    initialiseLanguageModel(layers, params);
  else
    initialise(layers, params, runningMean, runningVar);
  moveTo(engineDevice());
}

void Network::moveTo(const c10::Device& device) {
  if (flat.device() == device) return;
  at::NoGradGuard noGrad;
  flat = flat.to(device);
  flatGrad = flatGrad.to(device);
  flatStats = flatStats.to(device);
  flatCounts = flatCounts.to(device);
  int64_t offset = 0;
  for (auto& p : params) {
    const auto n = p.numel();
    p.set_data(flat.narrow(0, offset, n).view(p.sizes()));
    p.mutable_grad() = flatGrad.narrow(0, offset, n).view(p.sizes());
    offset += n;
  }
  int64_t statOffset = 0;
  for (size_t k = 0; k < runningMean.size(); ++k) {
    const auto features = runningMean[k].numel();
    runningMean[k] = flatStats.narrow(0, statOffset, features);
    runningVar[k] = flatStats.narrow(0, statOffset + features, features);
    batchCount[k] = flatCounts.narrow(0, static_cast<int64_t>(k), 1);
    statOffset += 2 * features;
  }
}

at::Tensor Network::zerosFloat64(int64_t n) const {
  return at::zeros({n}, at::TensorOptions().dtype(at::kDouble).device(flat.device()));
}

at::Tensor& Network::buffer(const std::string& name) {
  if (name == "parameters") return flat;
  if (name == "gradients") return flatGrad;
  if (name == "statistics") return flatStats;
  if (name == "batchCounts") return flatCounts;
  throw std::invalid_argument("unknown buffer '" + name + "'");
}

std::pair<at::Tensor, at::Tensor> Network::foldedIntoBatchNorm(const Layer& l,
                                                               const Layer& bn) const {
  // BN(W x + b) = s (W x + b - mean) + beta, s = gamma / sqrt(var + eps), per output
  // channel: the affine map with weight s W and bias beta + s (b - mean)
  const auto& mean = runningMean[bn.stats];
  auto scale = params[bn.weightIndex] / (runningVar[bn.stats] + bn.eps).sqrt();
  auto shift = l.bias ? params[l.biasIndex] - mean : -mean;
  auto bias = params[bn.biasIndex] + scale * shift;
  std::vector<int64_t> perChannel(params[l.weightIndex].dim(), 1);
  perChannel[0] = l.out;
  return {params[l.weightIndex] * scale.view(perChannel), bias};
}

at::Tensor Network::forward(const at::Tensor& x, Mode mode, int64_t end, int64_t begin) {
  if (script) return scriptForward(x, mode);
  const int64_t stop = end < 0 ? static_cast<int64_t>(layers.size()) : end;
  return run(layers, x, mode, begin, stop);
}

at::Tensor Network::run(std::vector<Layer>& list, at::Tensor h, Mode mode, int64_t begin,
                        int64_t stop) {
  // forward only, population mode: a Linear or Conv2d layer and the batch norm after it
  // run as one affine map (one pass over the activations fewer); inside blocks too, since
  // each batch norm still follows its own layer within its own list
  const bool fold = mode == Mode::Population && !at::GradMode::is_enabled() && captureStats < 0;
  const auto format =
      channelsLastConvolutions ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  for (int64_t i = begin; i < stop; ++i) {
    auto& l = list[i];
    if (l.kind == Layer::Kind::Conv2d) h = h.contiguous(format);
    const bool folded = fold && (l.kind == Layer::Kind::Linear || l.kind == Layer::Kind::Conv2d) &&
                        i + 1 < stop && list[i + 1].kind == Layer::Kind::BatchNorm;
    if (folded) {
      auto [weight, bias] = foldedIntoBatchNorm(l, list[++i]);
      h = l.kind == Layer::Kind::Linear
              ? linearLayer(h, weight, bias, secondOrder)
              : at::conv2d(h, weight, bias, {l.stride, l.stride}, {l.padding, l.padding});
      continue;
    }
    switch (l.kind) {
      case Layer::Kind::Linear:
        h = linearLayer(h, params[l.weightIndex], l.bias ? params[l.biasIndex] : at::Tensor(),
                        secondOrder);
        break;
      case Layer::Kind::Conv2d:
        h = at::conv2d(h, params[l.weightIndex], l.bias ? params[l.biasIndex] : at::Tensor(),
                       {l.stride, l.stride}, {l.padding, l.padding});
        break;
      case Layer::Kind::BatchNorm: {
        if (l.stats == captureStats) {
          captured = h;
          throw Captured{};
        }
        auto& w = params[l.weightIndex];
        auto& b = params[l.biasIndex];
        if (mode == Mode::Train) {
          h = at::batch_norm(h, w, b, runningMean[l.stats], runningVar[l.stats], true, l.momentum,
                             l.eps, false);
          at::NoGradGuard noGrad;
          batchCount[l.stats].add_(1);
        } else if (mode == Mode::Batch) {
          h = at::batch_norm(h, w, b, at::Tensor(), at::Tensor(), true, 0.0, l.eps, false);
        } else {
          h = at::batch_norm(h, w, b, runningMean[l.stats], runningVar[l.stats], false, l.momentum,
                             l.eps, false);
        }
        break;
      }
      case Layer::Kind::ReLU: h = at::relu(h); break;
      case Layer::Kind::MaxPool2d:
        h = at::max_pool2d(h, {l.kernel, l.kernel}, {l.stride, l.stride}, {l.padding, l.padding});
        break;
      case Layer::Kind::Dropout:
        if (mode == Mode::Train) h = at::dropout(h, l.p, true);
        break;
      case Layer::Kind::Flatten: h = h.flatten(1); break;
      case Layer::Kind::GlobalAvgPool: h = h.mean({2, 3}); break;
      case Layer::Kind::Embedding: {
        auto positions =
            at::arange(h.size(1), at::TensorOptions().dtype(at::kLong).device(h.device()));
        h = at::embedding(params[l.parts[0]], h) + at::embedding(params[l.parts[1]], positions);
        break;
      }
      case Layer::Kind::Block: h = block(l, h); break;
      case Layer::Kind::LayerNorm:
        h = at::layer_norm(h, {l.out}, params[l.weightIndex],
                           l.bias ? params[l.biasIndex] : at::Tensor(), l.eps);
        break;
      case Layer::Kind::Head:
        h = linearOverRows(h, params[l.weightIndex], at::Tensor(), secondOrder);
        break;
      case Layer::Kind::Residual: {
        auto y = run(l.branch, h, mode, 0, static_cast<int64_t>(l.branch.size()));
        if (l.skip)
          y = l.shortcut.empty()
                  ? y + h
                  : y + run(l.shortcut, h, mode, 0, static_cast<int64_t>(l.shortcut.size()));
        h = l.activation ? at::relu(y) : y;
        break;
      }
    }
  }
  return h;
}

// nanoGPT's Block (dropout 0): x + attn(ln_1(x)), then that plus mlp(ln_2(of it)). The attention
// is causal: position t attends to positions 0..t, scores scaled by 1 / sqrt(head width).
at::Tensor Network::block(const Layer& l, const at::Tensor& x) {
  const auto& p = l.parts;
  auto param = [&](int k) { return p[k] >= 0 ? params[p[k]] : at::Tensor(); };
  const int64_t n = x.size(0), t = x.size(1), c = l.out, width = c / l.heads;
  auto a = at::layer_norm(x, {c}, param(Ln1Weight), param(Ln1Bias), l.eps);
  auto qkv = linearOverRows(a, param(AttnWeight), param(AttnBias), secondOrder).split(c, 2);
  auto heads = [&](const at::Tensor& z) { return z.view({n, t, l.heads, width}).transpose(1, 2); };
  auto q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
  auto scores = at::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(width)));
  auto future = at::ones({t, t}, at::TensorOptions().dtype(at::kBool).device(x.device())).triu(1);
  auto attention = at::softmax(scores.masked_fill(future, -INFINITY), -1);
  auto y = at::matmul(attention, v).transpose(1, 2).contiguous().view({n, t, c});
  auto h = x + linearOverRows(y, param(AttnProjWeight), param(AttnProjBias), secondOrder);
  auto m = at::layer_norm(h, {c}, param(Ln2Weight), param(Ln2Bias), l.eps);
  m = linearOverRows(m, param(FcWeight), param(FcBias), secondOrder);
  m = geluLayer(m, secondOrder);
  return h + linearOverRows(m, param(MlpProjWeight), param(MlpProjBias), secondOrder);
}

namespace {

// body(start, count, c) for chunk c = [start, start + count) of n examples, chunks of
// at most `chunk`: the one loop every pass over an index set runs.
template <typename Body>
void forEachChunk(int64_t n, int64_t chunk, Body body) {
  for (int64_t start = 0, c = 0; start < n; start += chunk, ++c)
    body(start, std::min(chunk, n - start), c);
}

// body(x, y) for each chunk of the examples at indices, gathered in dtype.
template <typename Body>
void forEachBatch(Dataset& data, const at::Tensor& indices, int64_t chunk, at::ScalarType dtype,
                  Body body) {
  forEachChunk(indices.size(0), chunk, [&](int64_t start, int64_t count, int64_t) {
    auto [x, y] = data.gather(indices.narrow(0, start, count), dtype);
    body(x, y);
  });
}

// Per example: a language model's logits [N, T, V] against targets [N, T] give each window's
// fraction of next tokens predicted and its mean next-token cross-entropy (Evaluation).
double countCorrect(const at::Tensor& logits, const at::Tensor& y) {
  const auto correct = logits.argmax(-1).eq(y).sum().item<int64_t>();
  return logits.dim() == 3 ? static_cast<double>(correct) / static_cast<double>(logits.size(1))
                           : static_cast<double>(correct);
}

at::Tensor lossSum(const at::Tensor& logits, const at::Tensor& y) {
  if (logits.dim() == 3)
    return at::cross_entropy_loss(logits.flatten(0, 1), y.flatten(), {}, at::Reduction::Sum) /
           static_cast<double>(logits.size(1));
  return at::cross_entropy_loss(logits, y, {}, at::Reduction::Sum);
}

}  // namespace

Evaluation Network::gradient(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk) {
  flatGrad.zero_();
  Evaluation result;
  const double n = static_cast<double>(indices.size(0));
  forEachBatch(data, indices, chunk, dtype, [&](const at::Tensor& x, const at::Tensor& y) {
    auto out = forward(x, mode);
    auto loss = lossSum(out, y);
    (loss / n).backward();
    result.lossSum += loss.item<double>();
    result.correct += countCorrect(out.detach(), y);
  });
  return result;
}

Evaluation Network::evaluate(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk) {
  at::NoGradGuard noGrad;
  Evaluation result;
  forEachBatch(data, indices, chunk, dtype, [&](const at::Tensor& x, const at::Tensor& y) {
    auto out = forward(x, mode);
    result.lossSum += lossSum(out, y).item<double>();
    result.correct += countCorrect(out, y);
  });
  return result;
}

at::Tensor Network::logits(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk) {
  at::NoGradGuard noGrad;
  std::vector<at::Tensor> pieces;
  forEachBatch(data, indices, chunk, dtype,
               [&](const at::Tensor& x, const at::Tensor&) { pieces.push_back(forward(x, mode)); });
  return at::cat(pieces, 0).contiguous();
}

std::optional<Evaluation> Network::recalibrate(Dataset& data, const at::Tensor& indices,
                                               int64_t chunk, bool keep) {
  if (script) return scriptRecalibrate(data, indices);
  if (nested) return recalibrateNested(data, indices, chunk);
  at::NoGradGuard noGrad;
  const int64_t n = indices.size(0);
  std::vector<at::Tensor> held,
      heldLabels;      // with keep: each chunk's activations at layer `heldAt`
  int64_t heldAt = 0;  // the layer the held activations enter
  for (size_t j = 0; j < layers.size(); ++j) {
    auto& l = layers[j];
    if (l.kind != Layer::Kind::BatchNorm) continue;
    // per chunk: mean, then the sum of squared deviations from it (two passes, in the
    // network's dtype with torch's cascade sums; 3x faster than at::var_mean's Welford);
    // chunks combined in float64 by Chan et al.'s parallel formula
    auto mean = zerosFloat64(l.out), m2 = zerosFloat64(l.out);
    int64_t count = 0;
    forEachChunk(n, chunk, [&](int64_t start, int64_t size, int64_t c) {
      at::Tensor h;
      if (keep && c < static_cast<int64_t>(held.size())) {
        h = forward(held[c], Mode::Population, static_cast<int64_t>(j), heldAt);
        held[c] = h;
      } else {
        auto [x, y] = data.gather(indices.narrow(0, start, size), dtype);
        h = forward(x, Mode::Population, static_cast<int64_t>(j));
        if (keep) {
          held.push_back(h);
          heldLabels.push_back(y);
        }
      }
      // channels are dimension 1; reduce over every other one
      std::vector<int64_t> dims{0};
      for (int64_t d = 2; d < h.dim(); ++d) dims.push_back(d);
      auto m = h.mean(dims, /*keepdim=*/true);
      auto deviation = h - m;
      deviation.mul_(deviation);
      auto squares = deviation.sum(dims).to(at::kDouble);
      const int64_t k = h.numel() / l.out;
      auto delta = m.flatten().to(at::kDouble) - mean;
      const double total = static_cast<double>(count + k);
      mean += delta * (static_cast<double>(k) / total);
      m2 += squares + delta * delta * (static_cast<double>(count) * static_cast<double>(k) / total);
      count += k;
    });
    heldAt = static_cast<int64_t>(j);
    auto var = m2 / static_cast<double>(std::max<int64_t>(count - 1, 1));
    runningMean[l.stats].copy_(mean);
    runningVar[l.stats].copy_(var.clamp_min(0));
  }
  if (held.empty()) return std::nullopt;
  // the held activations run on through the recalibrated rest of the network: the
  // examples' population-mode loss and accuracy, for the price of the layers after the
  // last batch norm
  Evaluation result;
  for (size_t c = 0; c < held.size(); ++c) {
    auto out = forward(held[c], Mode::Population, -1, heldAt);
    result.lossSum += lossSum(out, heldLabels[c]).item<double>();
    result.correct += countCorrect(out, heldLabels[c]);
  }
  return result;
}

// With residual blocks the batch norms form a tree: each is recalibrated in registration
// order (depth first, so every batch norm its input depends on is done before it) from
// its input, captured by a forward pass that stops there. Same statistics as above.
std::optional<Evaluation> Network::recalibrateNested(Dataset& data, const at::Tensor& indices,
                                                     int64_t chunk) {
  at::NoGradGuard noGrad;
  const int64_t n = indices.size(0);
  for (int k = 0; k < static_cast<int>(runningMean.size()); ++k) {
    const int64_t features = runningMean[k].size(0);
    auto mean = zerosFloat64(features), m2 = zerosFloat64(features);
    int64_t count = 0;
    forEachChunk(n, chunk, [&](int64_t start, int64_t size, int64_t) {
      auto [x, y] = data.gather(indices.narrow(0, start, size), dtype);
      captureStats = k;
      try {
        forward(x, Mode::Population);
        captureStats = -1;
        throw std::logic_error("batch norm not reached in the forward pass");
      } catch (const Captured&) {
        captureStats = -1;
      }
      auto h = captured;
      captured = at::Tensor();
      std::vector<int64_t> dims{0};
      for (int64_t d = 2; d < h.dim(); ++d) dims.push_back(d);
      auto m = h.mean(dims, /*keepdim=*/true);
      auto deviation = h - m;
      deviation.mul_(deviation);
      auto squares = deviation.sum(dims).to(at::kDouble);
      const int64_t c = h.numel() / features;
      auto delta = m.flatten().to(at::kDouble) - mean;
      const double total = static_cast<double>(count + c);
      mean += delta * (static_cast<double>(c) / total);
      m2 += squares + delta * delta * (static_cast<double>(count) * static_cast<double>(c) / total);
      count += c;
    });
    auto var = m2 / static_cast<double>(std::max<int64_t>(count - 1, 1));
    runningMean[k].copy_(mean);
    runningVar[k].copy_(var.clamp_min(0));
  }
  return std::nullopt;
}

Evaluation Network::hessianVector(Dataset& data, const at::Tensor& indices, Mode mode,
                                  int64_t chunk, const at::Tensor& v, at::Tensor& out) {
  Evaluation result;
  out.zero_();
  std::vector<at::Tensor> vs, outs;
  int64_t offset = 0;
  for (auto& p : params) {
    vs.push_back(v.narrow(0, offset, p.numel()).view(p.sizes()));
    outs.push_back(out.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
  const double n = static_cast<double>(indices.size(0));
  struct SecondOrder {  // the forward passes below are differentiated twice
    bool& flag;
    explicit SecondOrder(bool& f) : flag(f) { flag = true; }
    ~SecondOrder() { flag = false; }
  } secondOrderPasses(secondOrder);
  forEachBatch(data, indices, chunk, dtype, [&](const at::Tensor& x, const at::Tensor& y) {
    auto logitsOut = forward(x, mode);
    auto loss = lossSum(logitsOut, y);
    auto grads = torch::autograd::grad({loss / n}, params, {},
                                       /*retain_graph=*/true, /*create_graph=*/true);
    auto dot = at::zeros({}, at::TensorOptions().dtype(dtype).device(flat.device()));
    for (size_t i = 0; i < grads.size(); ++i) dot = dot + (grads[i] * vs[i]).sum();
    auto hv = torch::autograd::grad({dot}, params, {}, /*retain_graph=*/false,
                                    /*create_graph=*/false, /*allow_unused=*/true);
    at::NoGradGuard noGrad;
    for (size_t i = 0; i < hv.size(); ++i)
      if (hv[i].defined()) outs[i].add_(hv[i]);
    result.lossSum += loss.item<double>();
    result.correct += countCorrect(logitsOut.detach(), y);
  });
  return result;
}

}  // namespace gradscope
