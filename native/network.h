// A feed-forward network from a resolved layer list. All trainable parameters
// are views into ONE flat tensor (registration order = PyTorch state_dict order)
// and their gradients views into another; batch-norm running statistics likewise
// live in one flat float buffer and their batch counters in one int64 buffer.
// The forward pass is written with ATen's functional ops so that each of the
// three modes below is explicit.
#pragma once

#include <memory>
#include <optional>

#include "common.h"
#include "dataset.h"

namespace gradscope {

// train:      BN on batch statistics, running statistics updated, dropout on.
// batch:      BN on batch statistics, running statistics untouched, dropout off.
// population: BN on running statistics (inference), dropout off.
enum class Mode { Train, Batch, Population };

// Process-wide: convolutions take their input channels-last (NHWC in memory, the
// dataset's own layout; oneDNN then runs without reorders) when true, contiguous NCHW
// when false. Same results up to float rounding. Default true.
extern bool channelsLastConvolutions;

Mode parseMode(const std::string& name);

struct Layer {
  enum class Kind {
    Linear,
    Conv2d,
    BatchNorm,
    ReLU,
    MaxPool2d,
    Dropout,
    Flatten,
    GlobalAvgPool,
    Residual,
    // a language model's (nanoGPT's architecture): token and position embeddings, a pre-LayerNorm
    // transformer block (causal self-attention, then an MLP with GELU), layer norm over the last
    // dimension, the output head whose weight is the token embedding's (tied, as in nanoGPT)
    Embedding,
    Block,
    LayerNorm,
    Head
  } kind;
  int64_t in = 0, out = 0, kernel = 0, stride = 1, padding = 0;
  bool bias = false;
  double eps = 1e-5, momentum = 0.1, p = 0.5;
  int weightIndex = -1, biasIndex = -1;  // indices into Network::params
  int stats = -1;                        // index into Network::runningMean/runningVar/batchCount
  // Embedding: vocabulary (in), width (out), context (positions); Block: width (out), heads
  int64_t context = 0, heads = 0;
  // Embedding: wte, wpe; Block: its parameters in nanoGPT's order (BlockPart), -1 for no bias
  std::vector<int> parts;
  // Residual: activation(branch(x) + shortcut(x)); an empty shortcut is the identity,
  // skip false means no shortcut at all
  std::vector<Layer> branch, shortcut;
  bool skip = true, activation = true;
};

// Sums over examples. A language model's example is a window of T positions: its loss and its
// correct count are its mean next-token loss and its fraction of next tokens predicted (sums
// over positions divided by T), so that everything dividing by examples gives per-token means.
struct Evaluation {
  double lossSum = 0;
  double correct = 0;
};

struct Script;  // a TorchScript module (script.cc), when the network is one

class Network {
 public:
  Network(std::vector<Layer> layers, at::ScalarType dtype, uint64_t seed);
  // A module saved by torch.jit.script(model).save(file): its parameters re-pointed into
  // flat (gradients into flatGrad), its batch-norm buffers into flatStats / flatCounts.
  static std::unique_ptr<Network> fromTorchScript(const std::string& file, at::ScalarType dtype);
  ~Network();

  // Layers [begin, end) only (end = -1: to the last).
  // Layers [begin, end) (end -1: to the last). In population mode without autograd a
  // Linear or Conv2d layer followed by batch norm runs folded into one affine map.
  at::Tensor forward(const at::Tensor& x, Mode mode, int64_t end = -1, int64_t begin = 0);
  // The weight and bias of layer l with the batch norm bn after it folded in.
  std::pair<at::Tensor, at::Tensor> foldedIntoBatchNorm(const Layer& l, const Layer& bn) const;
  // Fills the gradient buffer with the gradient of the mean loss over indices,
  // evaluated `chunk` examples at a time (in batch modes: ghost batches).
  Evaluation gradient(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk);
  Evaluation evaluate(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk);
  // out = H v, H the Hessian of the mean loss over indices.
  Evaluation hessianVector(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk,
                           const at::Tensor& v, at::Tensor& out);
  at::Tensor logits(Dataset& data, const at::Tensor& indices, Mode mode, int64_t chunk);
  // Recomputes every batch-norm layer's running statistics from the examples at
  // indices, weights fixed: layer by layer, each from its exact per-channel mean and
  // unbiased variance over the examples, with the layers before it already
  // recalibrated (so each layer sees the inputs it will see in population mode).
  // keep: hold every chunk's activations between layers (one pass over the layers,
  // memory = examples x widest activation) instead of recomputing each prefix; then
  // also returns those examples' population-mode evaluation after recalibration,
  // which the held activations give almost for free (nothing without keep or BN).
  std::optional<Evaluation> recalibrate(Dataset& data, const at::Tensor& indices, int64_t chunk,
                                        bool keep);

  std::vector<Layer> layers;
  at::ScalarType dtype;
  at::Tensor flat, flatGrad;            // parameters and gradients
  at::Tensor flatStats;                 // running_mean, running_var of each BN, in order
  at::Tensor flatCounts;                // num_batches_tracked of each BN (int64)
  std::vector<at::Tensor> params;       // views into flat, requires_grad
  std::vector<std::string> paramNames;  // "0.weight", "1.bias", ...
  std::vector<at::Tensor> runningMean, runningVar, batchCount;  // views into flatStats/flatCounts
  std::vector<std::string> statNames;  // names of the flatStats pieces, in order
  bool nested = false;                 // any residual block
  bool language = false;               // a language model (embeddings, attention)
  std::shared_ptr<Script> script;      // set for a TorchScript module

  explicit Network(at::ScalarType type) : dtype(type) {}
  // The flat buffers moved to device, every parameter, gradient and statistic view re-pointed
  // into them (nothing happens on the device they are on).
  void moveTo(const c10::Device& device);
  // Float64 zeros on the network's device: the accumulators of recalibration.
  at::Tensor zerosFloat64(int64_t n) const;
  // One of the flat buffers by its name: parameters, gradients, statistics, batchCounts.
  at::Tensor& buffer(const std::string& name);
  at::Tensor scriptForward(const at::Tensor& x, Mode mode);
  // A TorchScript module's recalibration (script.cc): the same statistics, one pass a batch norm.
  std::optional<Evaluation> scriptRecalibrate(Dataset& data, const at::Tensor& indices);
  // A TorchScript module's buffers that are no batch norm's statistics, "name (ModuleType)".
  std::vector<std::string> otherState() const;

 private:
  at::Tensor run(std::vector<Layer>& list, at::Tensor h, Mode mode, int64_t begin, int64_t stop);
  at::Tensor block(const Layer& l, const at::Tensor& x);
  std::optional<Evaluation> recalibrateNested(Dataset& data, const at::Tensor& indices,
                                              int64_t chunk);
  bool secondOrder = false;  // a Hessian-vector product: layers must be twice differentiable
  int captureStats = -1;     // recalibration: the batch norm whose input forward captures
  at::Tensor captured;
};

}  // namespace gradscope
