#include "signals.h"

#include <ATen/Parallel.h>
#include <sys/mman.h>

#include <cstdint>
#include <stdexcept>

#include "linear.h"

namespace gradscope {

namespace {

using Entry = LayerSignals::Entry;

// A parametrised layer as one population-mode pass saw it: its input and its output.
struct Tap {
  at::Tensor input, output;
  const Layer* layer = nullptr;
};

bool isProduct(const Layer& l) {
  return l.kind == Layer::Kind::Linear || l.kind == Layer::Kind::Conv2d;
}

// Whether a batch norm's gamma signal can be read off the next product layer's input (see
// Entry::gammaFromNext): gamma nowhere 0, and |beta| <= 4 |gamma| per channel, so that
// (a - beta) / gamma loses at most a few roundings of x^ (a = gamma x^ + beta, rounded).
bool gammaDerivable(Network& net, const Layer& bn) {
  at::NoGradGuard noGrad;
  const auto& gamma = net.params[bn.weightIndex];
  const auto& beta = net.params[bn.biasIndex];
  return gamma.ne(0).all().item<bool>() && beta.abs().le(gamma.abs() * 4).all().item<bool>();
}

// The entries of every Linear, Conv2d and BatchNorm layer, in registration order (a block's
// branch, then its shortcut), each product layer paired with a batch norm right after it.
void plan(Network& net, const std::vector<Layer>& list, std::vector<Entry>& entries,
          bool top = true) {
  bool dataSoFar = top;  // nothing but Flatten layers between the examples and list[i]
  bool flattened = false;
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& l = list[i];
    const bool product = isProduct(l);
    if (product || l.kind == Layer::Kind::BatchNorm) {
      Entry e;
      e.layer = &l;
      // a Linear layer on flattened examples, a convolution on the examples themselves
      e.inputFromData =
          dataSoFar &&
          (l.kind == Layer::Kind::Linear ? flattened : l.kind == Layer::Kind::Conv2d && !flattened);
      if (product && i + 1 < list.size() && list[i + 1].kind == Layer::Kind::BatchNorm)
        e.batchNorm = &list[i + 1];
      if (!product && i > 0) e.betaFromLayerBefore = isProduct(list[i - 1]);
      if (!product && e.betaFromLayerBefore && i + 1 < list.size() &&
          list[i + 1].kind == Layer::Kind::ReLU) {
        size_t k = i + 2;
        while (k < list.size() && list[k].kind == Layer::Kind::Dropout) ++k;  // off here
        if (k < list.size() && isProduct(list[k]) && gammaDerivable(net, l))
          e.gammaFromNext = static_cast<int>(entries.size()) + 1;  // the next entry: list[k]
      }
      entries.push_back(e);
    } else if (l.kind == Layer::Kind::Residual) {
      plan(net, l.branch, entries, false);
      plan(net, l.shortcut, entries, false);
    }
    dataSoFar = dataSoFar && l.kind == Layer::Kind::Flatten;
    flattened = flattened || l.kind == Layer::Kind::Flatten;
  }
}

// Network::run in population mode with autograd on (no folding), the same operators, each
// parametrised layer's input and output recorded in registration order; `params` the network's
// parameters or their detached views (then no weight gradient is asked of autograd).
at::Tensor walk(Network& net, const std::vector<Layer>& list, at::Tensor h, std::vector<Tap>& taps,
                const std::vector<at::Tensor>& params) {
  const auto format =
      channelsLastConvolutions ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  for (const auto& l : list) {
    switch (l.kind) {
      case Layer::Kind::Linear: {
        auto out = linearLayer(h, params[l.weightIndex],
                               l.bias ? params[l.biasIndex] : at::Tensor(), false);
        taps.push_back({h, out, &l});
        h = out;
        break;
      }
      case Layer::Kind::Conv2d: {
        h = h.contiguous(format);
        auto out = at::conv2d(h, params[l.weightIndex], l.bias ? params[l.biasIndex] : at::Tensor(),
                              {l.stride, l.stride}, {l.padding, l.padding});
        taps.push_back({h, out, &l});
        h = out;
        break;
      }
      case Layer::Kind::BatchNorm: {
        auto out =
            at::batch_norm(h, params[l.weightIndex], params[l.biasIndex], net.runningMean[l.stats],
                           net.runningVar[l.stats], false, l.momentum, l.eps, false);
        taps.push_back({h, out, &l});
        h = out;
        break;
      }
      case Layer::Kind::ReLU: h = at::relu(h); break;
      case Layer::Kind::MaxPool2d:
        h = at::max_pool2d(h, {l.kernel, l.kernel}, {l.stride, l.stride}, {l.padding, l.padding});
        break;
      case Layer::Kind::Dropout: break;  // off in population mode
      case Layer::Kind::Flatten: h = h.flatten(1); break;
      case Layer::Kind::GlobalAvgPool: h = h.mean({2, 3}); break;
      case Layer::Kind::Residual: {
        auto y = walk(net, l.branch, h, taps, params);
        if (l.skip) y = l.shortcut.empty() ? y + h : y + walk(net, l.shortcut, h, taps, params);
        h = l.activation ? at::relu(y) : y;
        break;
      }
      default: throw std::logic_error("layer signals: a layer they do not cover");
    }
  }
  return h;
}

std::vector<int64_t> positionDims(int64_t dim) {
  std::vector<int64_t> dims;
  for (int64_t d = 2; d < dim; ++d) dims.push_back(d);
  return dims;
}

// v [C] shaped to broadcast over channel dimension 1 of a tensor of `dim` dimensions.
at::Tensor perChannel(const at::Tensor& v, int64_t dim) {
  std::vector<int64_t> shape(dim, 1);
  shape[1] = v.numel();
  return v.view(shape);
}

// gamma's gradient sum over rows (and positions) of d (a - beta) / gamma, times scale, where a
// is relu(gamma x^ + beta) (d is 0 wherever relu cut it off): accumulated in float64 on the
// CPU when d and a lay their channels innermost alike, in ATen otherwise.
void derivedGamma(const at::Tensor& d, const at::Tensor& a, const at::Tensor& gamma,
                  const at::Tensor& beta, double scale, at::Tensor& out) {
  const int64_t channels = gamma.numel();
  const bool innermost = d.dim() == 2
                             ? d.is_contiguous() && a.is_contiguous()
                             : d.dim() == 4 && d.is_contiguous(at::MemoryFormat::ChannelsLast) &&
                                   a.is_contiguous(at::MemoryFormat::ChannelsLast);
  if (!d.is_cpu() || !innermost || d.sizes() != a.sizes() || d.scalar_type() != a.scalar_type()) {
    auto dims = positionDims(d.dim());
    dims.insert(dims.begin(), 0);
    auto shift = perChannel(beta.to(at::kDouble), d.dim());
    auto sums = (d.to(at::kDouble) * (a.to(at::kDouble) - shift)).sum(dims);
    out.copy_(sums / gamma.to(at::kDouble) * scale);
    return;
  }
  const int64_t rows = d.numel() / channels;
  auto sums = at::zeros({channels}, gamma.options().dtype(at::kDouble));
  auto betas = beta.to(at::kDouble).contiguous();
  double* acc = sums.data_ptr<double>();
  const double* b = betas.data_ptr<double>();
  AT_DISPATCH_FLOATING_TYPES(d.scalar_type(), "derivedGamma", [&] {
    const scalar_t* dp = d.data_ptr<scalar_t>();
    const scalar_t* ap = a.data_ptr<scalar_t>();
    // each thread its own channels, over every row
    at::parallel_for(0, channels, 16, [&](int64_t begin, int64_t end) {
      for (int64_t r = 0; r < rows; ++r) {
        const scalar_t* dr = dp + r * channels;
        const scalar_t* ar = ap + r * channels;
        for (int64_t c = begin; c < end; ++c)
          acc[c] += static_cast<double>(dr[c]) * (static_cast<double>(ar[c]) - b[c]);
      }
    });
  });
  out.copy_(sums / gamma.to(at::kDouble) * scale);
}

// Asks the kernel for 2 MiB pages under a new CPU tensor, before anything touches it: its
// gigabytes are then faulted in 512 times less often (where transparent huge pages are
// "madvise", each 4 KiB fault of F1's 2 GB of signals cost about 20 us of system time).
at::Tensor onHugePages(at::Tensor t) {
  if (!t.is_cpu()) return t;
  const uintptr_t huge = uintptr_t{2} << 20;
  auto begin = reinterpret_cast<uintptr_t>(t.data_ptr());
  const uintptr_t end = (begin + t.nbytes()) & ~(huge - 1);
  begin = (begin + huge - 1) & ~(huge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  return t;
}

// Rows x the shape of one example's `like`, channels-last where convolutions take it.
at::Tensor rowsLike(const at::Tensor& like, int64_t rows) {
  auto sizes = like.sizes().vec();
  sizes[0] = rows;
  auto options = like.options().requires_grad(false);
  if (like.dim() == 4 && channelsLastConvolutions)
    options = options.memory_format(at::MemoryFormat::ChannelsLast);
  return onHugePages(at::empty(sizes, options));
}

int64_t perExample(const at::Tensor& t) { return t.numel() / t.size(0); }

// out[r] <- the weight gradient of a convolution without bias for example r alone, transposed
// ((in x kernel x kernel) x out): the im2col columns of its input x[r] times its output
// gradient d[r] as positions x channels (a view, where d is channels-last as the pass leaves it)
void exampleWeights(const at::Tensor& x, const at::Tensor& d, const Layer& l, at::Tensor out) {
  at::NoGradGuard noGrad;
  const int64_t n = x.size(0);
  for (int64_t start = 0; start < n; start += 256) {
    const int64_t size = std::min<int64_t>(256, n - start);
    auto columns = at::im2col(x.narrow(0, start, size).contiguous(), {l.kernel, l.kernel}, {1, 1},
                              {l.padding, l.padding}, {l.stride, l.stride});
    auto grads = d.narrow(0, start, size).permute({0, 2, 3, 1}).reshape({size, -1, l.out});
    auto target = out.narrow(0, start, size).view({size, -1, l.out});
    at::bmm_out(target, columns, grads);
  }
}

// gamma / sqrt(var + eps) of a batch norm: what its input gradient is its output gradient times.
at::Tensor batchNormScale(Network& net, const Layer& bn) {
  return net.params[bn.weightIndex] / (net.runningVar[bn.stats] + bn.eps).sqrt();
}

// Whether a Linear layer's products run through oneDNN, as its forward pass does (linear.cc).
bool oneDnnProducts(const at::Tensor& a) {
  return oneDnnLinear && at::hasMKLDNN() && a.device().is_cpu() && a.scalar_type() == at::kFloat;
}

std::vector<Tap> oneExample(Network& net, Dataset& data) {
  at::NoGradGuard noGrad;
  auto index = at::zeros({1}, at::TensorOptions().dtype(at::kLong).device(data.device()));
  auto x = data.gather(index, net.dtype).first;
  std::vector<Tap> taps;
  walk(net, net.layers, x, taps, net.params);
  return taps;
}

void refuseScript(const Network& net) {
  if (net.script)
    throw std::invalid_argument(
        "a TorchScript module has no layer signals (its draws take the recomputing path)");
  if (net.language)
    throw std::invalid_argument(
        "a language model (embeddings, attention) has no layer signals (its draws take the "
        "recomputing path)");
}

int64_t weightCount(const Network& net, const Layer& l) {
  return net.params[l.weightIndex].numel();
}

// Marks the convolutions whose per-example weight gradients are held (Entry::weightsHeld), then
// keeps every batch norm from reading signals they no longer hold: its beta from the layer
// before, or its gamma from that layer's output gradient or the next layer's input.
void holdWeights(const Network& net, std::vector<Entry>& entries, const std::vector<Tap>& taps) {
  for (size_t j = 0; j < entries.size(); ++j) {
    auto& e = entries[j];
    const Layer& l = *e.layer;
    if (l.kind != Layer::Kind::Conv2d || l.bias) continue;
    const int64_t signals =
        (e.inputFromData ? 0 : perExample(taps[j].input)) + perExample(taps[j].output);
    e.weightsHeld = weightCount(net, l) < signals;
  }
  for (size_t j = 0; j < entries.size(); ++j) {
    auto& e = entries[j];
    if (e.layer->kind != Layer::Kind::BatchNorm || j == 0) continue;
    if (entries[j - 1].weightsHeld) {
      e.betaFromLayerBefore = false;
      e.gammaFromNext = -1;
    }
    if (e.gammaFromNext >= 0 && entries[e.gammaFromNext].weightsHeld) e.gammaFromNext = -1;
  }
}

// The entries of `net` as the signals hold them (plan, then holdWeights), and one example's taps.
std::vector<Tap> planned(Network& net, Dataset& data, std::vector<Entry>& entries) {
  plan(net, net.layers, entries);
  auto taps = oneExample(net, data);
  if (taps.size() != entries.size()) throw std::logic_error("layer signals: taps and layers");
  holdWeights(net, entries, taps);
  return taps;
}

}  // namespace

LayerSignals::Sizes LayerSignals::sizes(Network& net, Dataset& data) {
  refuseScript(net);
  std::vector<Entry> entries;
  auto taps = planned(net, data, entries);
  int64_t elements = 0, activations = 0;
  for (size_t j = 0; j < entries.size(); ++j) {
    const auto& e = entries[j];
    activations += perExample(taps[j].input) + perExample(taps[j].output);
    if (e.layer->kind == Layer::Kind::BatchNorm)
      elements += ((e.gammaFromNext < 0 ? 1 : 0) + (e.betaFromLayerBefore ? 0 : 1)) * e.layer->out;
    else if (e.weightsHeld)
      elements += weightCount(net, *e.layer);
    else
      elements += (e.inputFromData ? 0 : perExample(taps[j].input)) + perExample(taps[j].output);
  }
  return {elements, net.flat.numel() + net.flatStats.numel(), activations};
}

LayerSignals::LayerSignals(Network& network, Dataset& dataset, const at::Tensor& examples,
                           int64_t chunk, Evaluation& result)
    : net(network), data(dataset), indices(examples), dataChanges(dataset.changes) {
  refuseScript(net);
  count = indices.size(0);
  {
    auto taps = planned(net, data, entries);
    for (size_t j = 0; j < entries.size(); ++j) {
      auto& e = entries[j];
      if (e.weightsHeld) {
        e.weights = onHugePages(at::empty({count, weightCount(net, *e.layer)}, net.flat.options()));
      } else if (e.layer->kind == Layer::Kind::BatchNorm) {
        const auto options = net.flat.options();
        if (e.gammaFromNext < 0) e.gamma = onHugePages(at::empty({count, e.layer->out}, options));
        if (!e.betaFromLayerBefore) e.beta = onHugePages(at::empty({count, e.layer->out}, options));
      } else {
        if (!e.inputFromData) e.input = rowsLike(taps[j].input, count);
        e.output = rowsLike(taps[j].output, count);
      }
    }
  }
  net.flatGrad.zero_();
  const double n = static_cast<double>(count);
  for (int64_t start = 0; start < count; start += chunk) {
    const int64_t size = std::min(chunk, count - start);
    auto [x, y] = data.gather(indices.narrow(0, start, size), net.dtype);
    std::vector<Tap> taps;
    auto out = walk(net, net.layers, x, taps, net.params);
    auto loss = at::cross_entropy_loss(out, y, {}, at::Reduction::Sum);
    std::vector<at::Tensor> wrt;
    for (auto& t : taps) wrt.push_back(t.output);
    for (auto& p : net.params) wrt.push_back(p);
    // the gradients of the summed loss: each row is its own example's (population mode)
    auto grads = torch::autograd::grad({loss}, wrt, {}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    at::NoGradGuard noGrad;
    for (size_t k = 0; k < net.params.size(); ++k) {
      const auto& g = grads[taps.size() + k];
      if (g.defined()) net.params[k].grad().add_(g, 1.0 / n);
    }
    for (size_t j = 0; j < entries.size(); ++j) {
      auto& e = entries[j];
      const Layer& l = *e.layer;
      if (e.weightsHeld) {
        exampleWeights(taps[j].input.detach(), e.batchNorm ? grads[j + 1] : grads[j], l,
                       e.weights.narrow(0, start, size));
        continue;
      }
      if (l.kind != Layer::Kind::BatchNorm) {
        if (!e.inputFromData) e.input.narrow(0, start, size).copy_(taps[j].input.detach());
        e.output.narrow(0, start, size).copy_(e.batchNorm ? grads[j + 1] : grads[j]);
        continue;
      }
      const auto& z = taps[j].input;
      const auto& d = grads[j];
      const auto positions = positionDims(z.dim());
      if (!e.betaFromLayerBefore)
        e.beta.narrow(0, start, size).copy_(positions.empty() ? d : d.sum(positions));
      if (e.gammaFromNext >= 0) continue;  // read off the next layer's input in each draw
      auto normalised = (z.detach() - perChannel(net.runningMean[l.stats], z.dim())) /
                        perChannel((net.runningVar[l.stats] + l.eps).sqrt(), z.dim());
      auto products = d * normalised;
      e.gamma.narrow(0, start, size).copy_(positions.empty() ? products : products.sum(positions));
    }
    result.lossSum += loss.item<double>();
    result.correct += out.detach().argmax(1).eq(y).sum().item<int64_t>();
  }
  parametersAt = net.flat.clone();
  statisticsAt = net.flatStats.clone();
}

int64_t LayerSignals::bytes() const {
  int64_t total = parametersAt.nbytes() + statisticsAt.nbytes();
  for (const auto& e : entries)
    for (const auto* t : {&e.input, &e.output, &e.gamma, &e.beta})
      if (t->defined()) total += t->nbytes();
  return total;
}

void LayerSignals::gradient(const at::Tensor& rowList) {
  at::NoGradGuard noGrad;
  if (!at::equal(net.flat, parametersAt) || !at::equal(net.flatStats, statisticsAt))
    throw std::runtime_error(
        "the layer signals were computed at other parameters or batch-norm statistics than the "
        "network has now: compute them again");
  if (data.changes != dataChanges)
    throw std::runtime_error(
        "the layer signals' examples were standardised since: compute the signals again");
  auto rows = rowList.to(net.flat.device());
  const double scale = 1.0 / static_cast<double>(rows.size(0));
  // the rows of every product layer's input and output gradient
  std::vector<at::Tensor> inputs(entries.size()), outputs(entries.size());
  {
    for (size_t j = 0; j < entries.size(); ++j) {
      const auto& e = entries[j];
      if (!isProduct(*e.layer) || e.weightsHeld) continue;
      if (e.inputFromData) {
        // the examples as the pass saw them: gathered, flattened or laid out for convolutions
        auto x = data.gather(indices.index_select(0, rows.to(indices.device())), net.dtype).first;
        inputs[j] = e.layer->kind == Layer::Kind::Conv2d
                        ? x.contiguous(channelsLastConvolutions ? at::MemoryFormat::ChannelsLast
                                                                : at::MemoryFormat::Contiguous)
                        : x.flatten(1);
      } else {
        inputs[j] = e.input.index_select(0, rows);
      }
      outputs[j] = e.output.index_select(0, rows);
    }
  }
  for (size_t j = 0; j < entries.size(); ++j) {
    const auto& e = entries[j];
    const Layer& l = *e.layer;
    if (l.kind == Layer::Kind::BatchNorm) {
      at::Tensor gammaGrad = net.params[l.weightIndex].grad();
      at::Tensor betaGrad = net.params[l.biasIndex].grad();
      // its output gradient, rows of the layer before (betaFromLayerBefore)
      const at::Tensor& before = e.betaFromLayerBefore ? outputs[j - 1] : at::Tensor();
      if (e.gammaFromNext >= 0) {
        derivedGamma(before, inputs[e.gammaFromNext], net.params[l.weightIndex],
                     net.params[l.biasIndex], scale, gammaGrad);
      } else {
        at::sum_out(gammaGrad, e.gamma.index_select(0, rows), {0});
        gammaGrad.mul_(scale);
      }
      if (e.betaFromLayerBefore) {
        std::vector<int64_t> dims{0};
        for (auto d : positionDims(before.dim())) dims.push_back(d);
        at::sum_out(betaGrad, before, dims);
      } else {
        at::sum_out(betaGrad, e.beta.index_select(0, rows), {0});
      }
      betaGrad.mul_(scale);
      continue;
    }
    const at::Tensor& a = inputs[j];
    const at::Tensor& d = outputs[j];
    at::Tensor weightGrad = net.params[l.weightIndex].grad();
    at::Tensor biasGrad = l.bias ? net.params[l.biasIndex].grad() : at::Tensor();
    if (e.weightsHeld) {
      // the sum of the rows' own weight gradients
      // (in x kernel x kernel) x out, summed, into the weight's out x in x kernel x kernel
      auto summed = e.weights.index_select(0, rows).sum(0).view({-1, l.out});
      weightGrad.copy_(summed.t().reshape(weightGrad.sizes()));
    } else if (l.kind == Layer::Kind::Linear && oneDnnProducts(a)) {
      // the weight gradient as oneDNN's backward computes it (its threads, not BLAS's)
      auto grads = at::mkldnn_linear_backward_weights(d.to_mkldnn(), a.to_mkldnn(),
                                                      net.params[l.weightIndex], l.bias);
      weightGrad.copy_(std::get<0>(grads));
      if (l.bias) biasGrad.copy_(std::get<1>(grads));
    } else if (l.kind == Layer::Kind::Linear) {
      at::mm_out(weightGrad, d.t(), a);
      if (l.bias) at::sum_out(biasGrad, d, {0});
    } else {
      std::vector<int64_t> biasSizes{l.out};
      auto grads = at::convolution_backward(
          d, a, net.params[l.weightIndex],
          l.bias ? at::OptionalIntArrayRef(biasSizes) : at::OptionalIntArrayRef(),
          {l.stride, l.stride}, {l.padding, l.padding}, {1, 1}, false, {0, 0}, 1,
          {false, true, l.bias});
      weightGrad.copy_(std::get<1>(grads));
      if (l.bias) biasGrad.copy_(std::get<2>(grads));
    }
    if (e.batchNorm) {
      // the layer's output gradient is d times gamma / sigma, per output channel
      auto factor = batchNormScale(net, *e.batchNorm) * scale;
      std::vector<int64_t> shape(weightGrad.dim(), 1);
      shape[0] = l.out;
      weightGrad.mul_(factor.view(shape));
      if (l.bias) biasGrad.mul_(factor);
    } else {
      weightGrad.mul_(scale);
      if (l.bias) biasGrad.mul_(scale);
    }
  }
}

namespace {

// Whether the loops below take a and b: rows x features on the CPU, dense, one floating type.
bool fused(const at::Tensor& a, const at::Tensor& b, const at::Tensor& out) {
  return a.is_cpu() && out.is_cpu() && a.dim() == 2 && b.dim() == 2 && a.size(0) == b.size(0) &&
         a.is_contiguous() && b.is_contiguous() && a.scalar_type() == b.scalar_type() &&
         (a.scalar_type() == at::kFloat || a.scalar_type() == at::kDouble);
}

// rows[i] += (|a_i|^2 + bias) |d_i|^2, in float64.
void linearRows(const at::Tensor& a, const at::Tensor& d, double bias, at::Tensor& rows) {
  double* out = rows.data_ptr<double>();
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "linearRows", [&] {
    const scalar_t* ap = a.data_ptr<scalar_t>();
    const scalar_t* dp = d.data_ptr<scalar_t>();
    const int64_t in = a.size(1), width = d.size(1);
    for (int64_t i = 0; i < a.size(0); ++i) {
      double sa = 0, sd = 0;
      for (int64_t k = 0; k < in; ++k) sa += static_cast<double>(ap[i * in + k]) * ap[i * in + k];
      for (int64_t k = 0; k < width; ++k)
        sd += static_cast<double>(dp[i * width + k]) * dp[i * width + k];
      out[i] += (sa + bias) * sd;
    }
  });
}

// total += sum_ij (aa_ij + bias) dd_ij, in float64.
void gramProduct(const at::Tensor& aa, const at::Tensor& dd, double bias, at::Tensor& total) {
  double sum = 0;
  AT_DISPATCH_FLOATING_TYPES(aa.scalar_type(), "gramProduct", [&] {
    const scalar_t* ap = aa.data_ptr<scalar_t>();
    const scalar_t* dp = dd.data_ptr<scalar_t>();
    for (int64_t e = 0; e < aa.numel(); ++e) sum += (static_cast<double>(ap[e]) + bias) * dp[e];
  });
  *total.data_ptr<double>() += sum;
}

// A batch norm on rows: with p_i = d_i x^_i, rows[i] += |p_i|^2 + |d_i|^2 and sums += (sum_i p_i,
// sum_i d_i), in float64.
void batchNormRows(const at::Tensor& z, const at::Tensor& d, const at::Tensor& mean,
                   const at::Tensor& var, double eps, at::Tensor& rows, at::Tensor& sums) {
  const int64_t channels = z.size(1);
  auto m = mean.to(at::kDouble).contiguous();
  auto inv = (var.to(at::kDouble) + eps).rsqrt().contiguous();
  const double* mp = m.data_ptr<double>();
  const double* ip = inv.data_ptr<double>();
  double* out = rows.data_ptr<double>();
  double* col = sums.data_ptr<double>();
  AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "batchNormRows", [&] {
    const scalar_t* zp = z.data_ptr<scalar_t>();
    const scalar_t* dp = d.data_ptr<scalar_t>();
    for (int64_t i = 0; i < z.size(0); ++i) {
      double s = 0;
      for (int64_t c = 0; c < channels; ++c) {
        const double g = dp[i * channels + c];
        const double p = g * ((zp[i * channels + c] - mp[c]) * ip[c]);
        s += p * p + g * g;
        col[c] += p;
        col[channels + c] += g;
      }
      out[i] += s;
    }
  });
}

bool normsCover(const std::vector<Layer>& list) {
  for (const auto& l : list) {
    switch (l.kind) {
      case Layer::Kind::Linear:
      case Layer::Kind::BatchNorm:
      case Layer::Kind::ReLU:
      case Layer::Kind::MaxPool2d:
      case Layer::Kind::Dropout:
      case Layer::Kind::Flatten:
      case Layer::Kind::GlobalAvgPool: break;
      case Layer::Kind::Residual:
        if (!normsCover(l.branch) || !normsCover(l.shortcut)) return false;
        break;
      default: return false;  // Conv2d: an example's gradient is no single outer product
    }
  }
  return true;
}

}  // namespace

bool exampleNormsApply(const Network& net) {
  return !net.script && !net.language && normsCover(net.layers);
}

std::pair<at::Tensor, double> exampleSquaredNorms(Network& net, Dataset& data,
                                                  const at::Tensor& indices, int64_t chunk) {
  if (!exampleNormsApply(net))
    throw std::invalid_argument(
        "per-example gradient norms cover networks of Linear and batch-norm layers only");
  const int64_t m = indices.size(0);
  // one chunk: |sum_i g_i|^2 of a Linear layer from the Gram matrices (m^2 (in + out) products,
  // nothing of the weight's size); several: from each layer's summed gradient, kept in float64
  const bool gram = m <= chunk;
  const auto wide = at::TensorOptions().dtype(at::kDouble).device(net.flat.device());
  auto perExample = at::zeros({m}, wide);
  auto total = at::zeros({}, wide);
  std::vector<at::Tensor> sums;  // per layer: the sum over examples of their gradients
  // the parameters detached, the examples marked as needing a gradient instead: autograd records
  // the pass but computes no weight gradient (nor the examples', which nothing asks for)
  std::vector<at::Tensor> params;
  for (const auto& p : net.params) params.push_back(p.detach());
  for (int64_t start = 0; start < m; start += chunk) {
    const int64_t size = std::min(chunk, m - start);
    auto [x, y] = data.gather(indices.narrow(0, start, size), net.dtype);
    x.requires_grad_(true);
    std::vector<Tap> taps;
    auto out = walk(net, net.layers, x, taps, params);
    auto loss = at::cross_entropy_loss(out, y, {}, at::Reduction::Sum);
    std::vector<at::Tensor> wrt;
    for (auto& t : taps) wrt.push_back(t.output);
    // the summed loss's gradient at each layer's output: row i is example i's (population mode)
    auto grads = torch::autograd::grad({loss}, wrt, {}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    at::NoGradGuard noGrad;
    sums.resize(taps.size());
    auto rows = perExample.narrow(0, start, size);
    for (size_t j = 0; j < taps.size(); ++j) {
      const Layer& l = *taps[j].layer;
      const auto z = taps[j].input.detach();
      auto d = grads[j];
      if (!d.defined()) d = at::zeros_like(taps[j].output);  // a layer the loss does not reach
      if (l.kind == Layer::Kind::Linear) {
        if (z.dim() != 2) throw std::invalid_argument("per-example norms: Linear layers on rows");
        // example i's gradient is delta_i (a_i, 1)^T: |g_i|^2 = (|a_i|^2 + 1) |delta_i|^2
        const double bias = l.bias ? 1.0 : 0.0;
        if (fused(z, d, rows)) {
          linearRows(z, d, bias, rows);
        } else {
          rows.add_((z.square().sum(1).to(at::kDouble) + bias) * d.square().sum(1).to(at::kDouble));
        }
        if (gram) {
          auto aa = linearLayer(z, z, at::Tensor(), false);
          auto dd = linearLayer(d, d, at::Tensor(), false);
          if (fused(aa, dd, total))
            gramProduct(aa, dd, bias, total);
          else
            total.add_(((aa.to(at::kDouble) + bias) * dd.to(at::kDouble)).sum());
          continue;
        }
        auto sum = at::mm(d.t(), z);
        if (l.bias) sum = at::cat({sum, d.sum(0).unsqueeze(1)}, 1);
        if (!sums[j].defined()) sums[j] = at::zeros(sum.sizes(), wide);
        sums[j].add_(sum);
        continue;
      }
      // a batch norm: example i's gradient is (sum over positions of d_i x^_i, of d_i)
      if (!sums[j].defined()) sums[j] = at::zeros({2 * l.out}, wide);
      if (fused(z, d, rows)) {
        batchNormRows(z, d, net.runningMean[l.stats], net.runningVar[l.stats], l.eps, rows,
                      sums[j]);
        continue;
      }
      const auto positions = positionDims(z.dim());
      auto normalised = (z - perChannel(net.runningMean[l.stats], z.dim())) /
                        perChannel((net.runningVar[l.stats] + l.eps).sqrt(), z.dim());
      auto gamma = d * normalised, beta = d;
      if (!positions.empty()) {
        gamma = gamma.sum(positions);
        beta = beta.sum(positions);
      }
      auto both = at::cat({gamma, beta}, 1).to(at::kDouble);  // rows x 2C
      rows.add_(both.square().sum(1));
      sums[j].add_(both.sum(0));
    }
  }
  for (const auto& sum : sums)
    if (sum.defined()) total.add_(sum.square().sum());
  const double mean = total.item<double>() / (static_cast<double>(m) * static_cast<double>(m));
  return {perExample.cpu(), mean};
}

}  // namespace gradscope
