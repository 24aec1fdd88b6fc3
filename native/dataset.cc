#include "dataset.h"

#include <stdexcept>

namespace gradscope {

Dataset::Dataset(const at::Tensor& pixels, const at::Tensor& labelValues, int64_t channels,
                 int64_t height, int64_t width) {
  const int64_t n = labelValues.size(0);
  auto planar = pixels.view({n, channels, height, width});
  auto held = at::empty({n, height, width, channels}, at::kFloat);
  held.copy_(planar.permute({0, 2, 3, 1}));
  if (pixels.scalar_type() == at::kByte)
    held.div_(255.0);                // as torchvision's ToTensor: float(x) / 255
  images = held.to(engineDevice());  // the same tensor on the CPU
  labels = labelValues.to(at::kLong).to(engineDevice());
}

Dataset::Dataset(const at::Tensor& windows, int64_t context) {
  tokens = windows.view({-1, context + 1}).to(at::kLong).to(engineDevice());
}

std::pair<at::Tensor, at::Tensor> Dataset::gather(const at::Tensor& indices,
                                                  at::ScalarType dtype) const {
  if (tokens.defined()) {
    auto rows = tokens.index_select(0, indices);
    const int64_t context = tokens.size(1) - 1;
    return {rows.narrow(1, 0, context).contiguous(), rows.narrow(1, 1, context).contiguous()};
  }
  at::Tensor x = images.index_select(0, indices).permute({0, 3, 1, 2});
  if (dtype != at::kFloat) x = x.to(dtype);
  return {x, labels.index_select(0, indices)};
}

std::pair<std::vector<double>, std::vector<double>> Dataset::channelStatistics() const {
  if (tokens.defined()) throw std::invalid_argument("token windows have no channels");
  const int64_t channels = images.size(3);
  const auto options = at::TensorOptions().dtype(at::kDouble).device(images.device());
  auto sum = at::zeros({channels}, options), sumSquares = at::zeros({channels}, options);
  for (int64_t start = 0; start < size(); start += 4096) {  // chunks keep the float64 copy small
    auto x = images.narrow(0, start, std::min<int64_t>(4096, size() - start))
                 .reshape({-1, channels})
                 .to(at::kDouble);
    sum += x.sum(0);
    sumSquares += (x * x).sum(0);
  }
  const double count = static_cast<double>(images.numel() / channels);
  auto mean = (sum / count).cpu();
  auto std = (sumSquares.cpu() / count - mean * mean).clamp_min(0).sqrt();
  std::vector<double> m(mean.data_ptr<double>(), mean.data_ptr<double>() + channels);
  std::vector<double> s(std.data_ptr<double>(), std.data_ptr<double>() + channels);
  return {m, s};
}

void Dataset::standardise(const std::vector<double>& mean, const std::vector<double>& std) {
  if (tokens.defined()) throw std::invalid_argument("token windows have no channels");
  auto m = at::tensor(mean, at::kDouble).to(at::kFloat).to(images.device());
  auto s = at::tensor(std, at::kDouble).to(at::kFloat).to(images.device());
  images.sub_(m).div_(s);
  ++changes;
}

}  // namespace gradscope
