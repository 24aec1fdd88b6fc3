// Experiment B's per-example layer signals (docs/mathematics.md, "Experiment B from layer
// signals"). In population mode (batch norm on running statistics, dropout off) an example's
// gradient is, layer by layer, a product of what the layer saw and the loss gradient at its
// output, both fixed at an analysis point:
//   Linear     W: delta_i a_i^T, b: delta_i       (a_i the input, delta_i the output gradient)
//   Conv2d     W, b: the correlation of a_i with delta_i (ATen's convolution backward)
//   BatchNorm  gamma: sum over positions of d_i x^_i, beta: sum of d_i
//              (d_i the gradient at its output, x^_i its input normalised by the running
//              statistics)
// A Linear or Conv2d layer followed by a batch norm keeps d_i only: its own output gradient is
// d_i gamma / sqrt(var + eps), per channel. One pass over an index set stores every example's
// signals (its rows); a draw's mean gradient is then a gather of its rows and one product per
// layer, written into the network's gradient buffer: no forward pass, no backward pass.
// The signals are tied to the parameters and batch-norm statistics they were computed at: a
// copy of both is kept, and a draw after either changed is refused.
#pragma once

#include "network.h"

namespace gradscope {

class LayerSignals {
 public:
  // Elements one example's signals take, and the fixed elements beside them (the copies of the
  // parameters and statistics they are tied to): from one example's forward pass, nothing held.
  // per example: the elements the signals keep; besides: the elements of w and the statistics
  // they are tied to; per example: the elements of every Linear, convolution and batch-norm
  // layer's input and output in a pass (what a pass's memory grows with)
  struct Sizes {
    int64_t perExample, fixed, activations;
  };
  static Sizes sizes(Network& net, Dataset& data);
  // One pass over indices in population mode, `chunk` examples at a time: stores the signals
  // of indices[r] as row r, and fills the gradient buffer with the mean gradient over indices
  // (as Network::gradient does); result: the loss sum and correct count of that pass.
  LayerSignals(Network& net, Dataset& data, const at::Tensor& indices, int64_t chunk,
               Evaluation& result);
  // The gradient buffer <- the mean gradient of the examples at rows. Throws when the network's
  // parameters or batch-norm statistics differ from those the signals were computed at.
  void gradient(const at::Tensor& rows);
  int64_t rows() const { return count; }
  int64_t bytes() const;

  // A parametrised layer's signals, in registration order.
  struct Entry {
    const Layer* layer = nullptr;
    // a Linear layer on the flattened examples (only Flatten layers before it) or a Conv2d on
    // the examples themselves: its input is gathered from the dataset in each draw, none held
    bool inputFromData = false;
    // Linear / Conv2d: the batch norm right after it in its list, whose output gradient
    // `output` then holds (the layer's own output gradient is it times gamma / sigma)
    const Layer* batchNorm = nullptr;
    // BatchNorm: its beta signal is the `output` of the layer before it (no `beta` held)
    bool betaFromLayerBefore = false;
    // BatchNorm followed by ReLU and a Linear / Conv2d: the index of that layer's entry, whose
    // input a = relu(gamma x^ + beta) gives gamma's signal d x^ = d (a - beta) / gamma (d, its
    // output gradient, is 0 wherever relu cut a off), so that none is held; -1: held in `gamma`
    // (a gamma of 0 somewhere, or a beta over 4 |gamma| whose rounding would blur x^)
    int gammaFromNext = -1;
    // Conv2d without bias whose weight is smaller than its input and output signals (C1's first
    // convolution: 4800 weights against 65 536 output-gradient numbers an example; ResNet20's):
    // each example's own weight gradient is held in `weights` (rows x out * in * k * k, times
    // gamma / sigma where `batchNorm` is set), and a draw sums its rows; no input or output held
    bool weightsHeld = false;
    at::Tensor weights;
    at::Tensor input, output;  // Linear / Conv2d: rows x input, rows x output gradient
    at::Tensor gamma, beta;    // BatchNorm: rows x features (beta: unless betaFromLayerBefore)
  };

 private:
  Network& net;
  Dataset& data;
  at::Tensor indices;   // the dataset index of each row
  int64_t dataChanges;  // data.changes when the signals were computed
  std::vector<Entry> entries;
  at::Tensor parametersAt, statisticsAt;
  int64_t count = 0;
};

// The live noise scale's per-example squared gradient norms (docs/mathematics.md, "The gradient
// noise scale during training"), from the same signals without keeping them: one population-mode
// forward pass over indices and one backward pass to each layer's output (no weight gradient),
// then per layer
//   Linear     |g_i|^2 += (|a_i|^2 + [bias]) |delta_i|^2,
//              |sum_i g_i|^2 += sum_ij (a_i . a_j + [bias]) (delta_i . delta_j)   (Gram matrices)
//   BatchNorm  g_i = (sum over positions of d_i x^_i, of d_i), summed over i directly;
// `chunk` examples a pass (more than one chunk: each Linear layer's summed gradient kept).
// Result: each example's |g_i|^2 (float64, on the CPU) and |mean_i g_i|^2. The gradient buffer,
// running statistics and every random stream are left untouched. Networks whose parametrised
// layers are all Linear (on rows) and BatchNorm: exampleNormsApply.
bool exampleNormsApply(const Network& net);
std::pair<at::Tensor, double> exampleSquaredNorms(Network& net, Dataset& data,
                                                  const at::Tensor& indices, int64_t chunk);

// LayerSignals, signalSizes, exampleSquaredNorms (signals_wrap.cc), registered by addon.cc.
void defineSignals(Napi::Env env, Napi::Object exports);

}  // namespace gradscope
