// Examples held once in native memory: float32 pixels scaled to [0, 1], stored
// physically as N x H x W x C (channels-last, what convolutions run fastest on),
// and int64 labels; or token windows, N x (T + 1) int64 ids, whose inputs are a window's first
// T ids and whose targets its last T (next-token prediction). Batches are gathered by index.
#pragma once

#include "common.h"

namespace gradscope {

class Dataset {
 public:
  // pixels: N x C x H x W in record order (IDX images, CIFAR planes): bytes, scaled by
  // 1/255, or float32 values (a user's own arrays), taken as they are.
  Dataset(const at::Tensor& pixels, const at::Tensor& labels, int64_t channels, int64_t height,
          int64_t width);

  // windows: N x (context + 1) token ids, row after row.
  Dataset(const at::Tensor& windows, int64_t context);

  // Images: x a logical N x C x H x W tensor in channels-last memory, cast to dtype; y int64.
  // Tokens: x and y int64 N x T, the windows' first and last T ids (dtype is not used).
  std::pair<at::Tensor, at::Tensor> gather(const at::Tensor& indices, at::ScalarType dtype) const;
  int64_t size() const { return tokens.defined() ? tokens.size(0) : images.size(0); }
  c10::Device device() const { return tokens.defined() ? tokens.device() : images.device(); }
  // Per-channel mean and standard deviation over all pixels (float64 accumulation).
  std::pair<std::vector<double>, std::vector<double>> channelStatistics() const;
  // x <- (x - mean[c]) / std[c], in place.
  void standardise(const std::vector<double>& mean, const std::vector<double>& std);

  at::Tensor images;    // N x H x W x C, float32 (undefined for tokens)
  int64_t changes = 0;  // how often standardise changed the images
  at::Tensor labels;    // N, int64 (undefined for tokens)
  at::Tensor tokens;    // N x (T + 1), int64 (undefined for images)
};

}  // namespace gradscope
