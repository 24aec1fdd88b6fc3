// JS class DeviceVector and the draw measures of Experiment B: float64 vectors of a network's
// length that live on the network's device, and the few sums a draw needs, computed there by
// ATen so that a gradient never leaves the device; a draw returns 4 + G float64 scalars.
//
//   new DeviceVector(network)                 zeros
//   v.setGradient(network, scale)             v <- scale g          (g: the network's gradient)
//   v.addGradient(network, scale)             v <- v + scale g
//   v.setCombination(a, alpha, b, beta)       v <- alpha a + beta b
//   v.read(out: Float64Array)                 out <- v (a copy to the host)
//   measureGradient(network, r, t, groups)    the measures of x = g
//   measureVector(v, divisor, r, t, groups)   the measures of x = v / divisor
//
// The measures of x against r and t, all in float64: [|x - r|^2, |x - t|^2, |x|^2, x . t,
// then per group |x_g - r_g|^2], a group being a list of [offset, size] ranges. On the CPU
// the sums are one fused loop over the data (an ATen expression per block cost 2 ms a draw
// more); on a GPU they run in ATen over whole ranges, accumulated on the device, with one
// copy at the end.
#include <ATen/Parallel.h>

#include "wrappers.h"

namespace gradscope {

namespace {

class DeviceVectorWrap : public Napi::ObjectWrap<DeviceVectorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DeviceVector",
                       {InstanceMethod<&DeviceVectorWrap::SetGradient>("setGradient"),
                        InstanceMethod<&DeviceVectorWrap::AddGradient>("addGradient"),
                        InstanceMethod<&DeviceVectorWrap::SetCombination>("setCombination"),
                        InstanceMethod<&DeviceVectorWrap::Read>("read")});
  }
  // (network): zeros, one per parameter, float64, on the network's device
  explicit DeviceVectorWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<DeviceVectorWrap>(info) {
    guarded(info.Env(), "DeviceVector", [&] {
      Network& net = networkOf(info[0]);
      value = at::zeros({net.flat.numel()}, net.flat.options().dtype(at::kDouble));
      return 0;
    });
  }
  // (network, scale)
  Napi::Value SetGradient(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "setGradient", [&] {
      at::NoGradGuard noGrad;
      value.copy_(gradientOf(info[0]));
      value.mul_(info[1].As<Napi::Number>().DoubleValue());
      return info.Env().Undefined();
    });
  }
  // (network, scale)
  Napi::Value AddGradient(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "addGradient", [&] {
      at::NoGradGuard noGrad;
      value.add_(gradientOf(info[0]).to(at::kDouble), info[1].As<Napi::Number>().DoubleValue());
      return info.Env().Undefined();
    });
  }
  // (a, alpha, b, beta)
  Napi::Value SetCombination(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "setCombination", [&] {
      at::NoGradGuard noGrad;
      const auto& a = vectorOf(info[0]);
      const auto& b = vectorOf(info[2]);
      value.copy_(a * info[1].As<Napi::Number>().DoubleValue() +
                  b * info[3].As<Napi::Number>().DoubleValue());
      return info.Env().Undefined();
    });
  }
  // (out: Float64Array)
  Napi::Value Read(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "read", [&] {
      auto out = tensorOver(info[0].As<Napi::TypedArray>(), at::kDouble, "out");
      if (out.numel() != value.numel()) throw std::invalid_argument("out has the wrong length");
      out.copy_(value);
      return info.Env().Undefined();
    });
  }

  static const at::Tensor& gradientOf(const Napi::Value& network) {
    return networkOf(network).flatGrad;
  }
  static const at::Tensor& vectorOf(const Napi::Value& v) {
    if (!v.IsObject()) throw std::invalid_argument("expected a DeviceVector");
    auto* wrap = Napi::ObjectWrap<DeviceVectorWrap>::Unwrap(v.As<Napi::Object>());
    if (!wrap) throw std::invalid_argument("expected a DeviceVector");
    return wrap->value;
  }

  at::Tensor value;
};

struct Range {
  int64_t offset, size, group;
};

// groups: [[offset, size], ...][]; none (undefined): the whole vector as one range, no groups.
std::vector<Range> rangesOf(const Napi::Value& groups, int64_t length, int64_t& count) {
  std::vector<Range> ranges;
  count = 0;
  if (!groups.IsArray()) {
    ranges.push_back({0, length, -1});
    return ranges;
  }
  auto list = groups.As<Napi::Array>();
  count = list.Length();
  for (uint32_t g = 0; g < list.Length(); ++g) {
    auto group = list.Get(g).As<Napi::Array>();
    for (uint32_t r = 0; r < group.Length(); ++r) {
      auto pair = group.Get(r).As<Napi::Array>();
      Range range{pair.Get(0u).As<Napi::Number>().Int64Value(),
                  pair.Get(1u).As<Napi::Number>().Int64Value(), static_cast<int64_t>(g)};
      if (range.offset < 0 || range.size < 0 || range.offset + range.size > length)
        throw std::out_of_range("a group's range lies outside the vector");
      ranges.push_back(range);
    }
  }
  return ranges;
}

// The measures on the CPU in one pass over the data: each range in blocks of a fixed size,
// the blocks on every thread, each sum of a block in float64 over four interleaved partial
// sums (so the loop runs at the adder's throughput, not its latency), then the blocks' sums
// added in order: the same result whatever the number of threads. Added into sums[4 + G].
constexpr int64_t measureBlock = int64_t{1} << 15;

template <typename T, bool Divide>
void blockSums(const T* x, double divisor, const double* r, const double* t, int64_t begin,
               int64_t end, double* out) {
  double lane[4][4] = {};
  auto add = [&](int64_t i, int k) {
    double xi = static_cast<double>(x[i]);
    if (Divide) xi = xi / divisor;
    const double toReference = xi - r[i], toTotal = xi - t[i];
    lane[0][k] += toReference * toReference;
    lane[1][k] += toTotal * toTotal;
    lane[2][k] += xi * xi;
    lane[3][k] += xi * t[i];
  };
  int64_t i = begin;
  for (; i + 4 <= end; i += 4)
    for (int k = 0; k < 4; ++k) add(i + k, k);
  for (; i < end; ++i) add(i, 0);
  for (int m = 0; m < 4; ++m) out[m] = (lane[m][0] + lane[m][1]) + (lane[m][2] + lane[m][3]);
}

template <typename T, bool Divide>
void sumsOnCpu(const T* x, double divisor, const double* r, const double* t,
               const std::vector<Range>& ranges, double* sums) {
  std::vector<double> blocks;
  for (const auto& range : ranges) {
    const int64_t count = (range.size + measureBlock - 1) / measureBlock;
    blocks.assign(4 * count, 0.0);
    at::parallel_for(0, count, 1, [&](int64_t first, int64_t last) {
      for (int64_t b = first; b < last; ++b) {
        const int64_t begin = range.offset + b * measureBlock;
        const int64_t end = std::min(begin + measureBlock, range.offset + range.size);
        blockSums<T, Divide>(x, divisor, r, t, begin, end, blocks.data() + 4 * b);
      }
    });
    for (int m = 0; m < 4; ++m) {
      double sum = 0;
      for (int64_t b = 0; b < count; ++b) sum += blocks[4 * b + m];
      sums[m] += sum;
      if (m == 0 && range.group >= 0) sums[4 + range.group] += sum;
    }
  }
}

template <typename T>
at::Tensor measuresOnCpu(const at::Tensor& source, double divisor, const at::Tensor& reference,
                         const at::Tensor& total, const std::vector<Range>& ranges,
                         int64_t groups) {
  auto sums = at::zeros({4 + groups}, reference.options());
  const T* x = source.data_ptr<T>();
  const double* r = reference.data_ptr<double>();
  const double* t = total.data_ptr<double>();
  if (divisor != 1)
    sumsOnCpu<T, true>(x, divisor, r, t, ranges, sums.data_ptr<double>());
  else
    sumsOnCpu<T, false>(x, divisor, r, t, ranges, sums.data_ptr<double>());
  return sums;
}

// The measures of x = source / divisor against reference and total (module comment).
at::Tensor measures(const at::Tensor& source, double divisor, const at::Tensor& reference,
                    const at::Tensor& total, const std::vector<Range>& ranges, int64_t groups) {
  at::NoGradGuard noGrad;
  const int64_t n = reference.numel();
  if (source.numel() != n || total.numel() != n)
    throw std::invalid_argument("the vectors have different lengths");
  if (reference.device() != source.device() || total.device() != source.device())
    throw std::invalid_argument("the vectors live on different devices");
  if (source.is_cpu()) {
    auto r = reference.to(at::kDouble).contiguous();
    auto t = total.to(at::kDouble).contiguous();
    if (source.scalar_type() == at::kFloat)
      return measuresOnCpu<float>(source.contiguous(), divisor, r, t, ranges, groups);
    return measuresOnCpu<double>(source.to(at::kDouble).contiguous(), divisor, r, t, ranges,
                                 groups);
  }
  auto sums = at::zeros({4 + groups}, reference.options());
  auto first = sums.narrow(0, 0, 4);
  for (const auto& range : ranges) {
    auto x = source.narrow(0, range.offset, range.size).to(at::kDouble);
    if (divisor != 1) x = x / divisor;
    auto t = total.narrow(0, range.offset, range.size);
    auto toReference = x - reference.narrow(0, range.offset, range.size);
    auto toTotal = x - t;
    auto square = at::dot(toReference, toReference);
    first.add_(at::stack({square, at::dot(toTotal, toTotal), at::dot(x, x), at::dot(x, t)}));
    if (range.group >= 0) sums.select(0, 4 + range.group).add_(square);
  }
  return sums.cpu();
}

Napi::Value resultOf(Napi::Env env, const at::Tensor& sums) {
  auto out = Napi::Float64Array::New(env, sums.numel());
  std::copy_n(sums.data_ptr<double>(), sums.numel(), out.Data());
  return out;
}

// (network, reference, total, groups?)
Napi::Value MeasureGradient(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "measureGradient", [&] {
    const auto& g = DeviceVectorWrap::gradientOf(info[0]);
    const auto& r = DeviceVectorWrap::vectorOf(info[1]);
    int64_t count = 0;
    auto ranges = rangesOf(info[3], r.numel(), count);
    return resultOf(info.Env(),
                    measures(g, 1, r, DeviceVectorWrap::vectorOf(info[2]), ranges, count));
  });
}

// (vector, divisor, reference, total, groups?)
Napi::Value MeasureVector(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "measureVector", [&] {
    const auto& x = DeviceVectorWrap::vectorOf(info[0]);
    const auto& r = DeviceVectorWrap::vectorOf(info[2]);
    int64_t count = 0;
    auto ranges = rangesOf(info[4], r.numel(), count);
    return resultOf(info.Env(), measures(x, info[1].As<Napi::Number>().DoubleValue(), r,
                                         DeviceVectorWrap::vectorOf(info[3]), ranges, count));
  });
}

}  // namespace

void defineVectorOps(Napi::Env env, Napi::Object exports) {
  exports.Set("DeviceVector", DeviceVectorWrap::Define(env));
  exports.Set("measureGradient", Napi::Function::New(env, MeasureGradient));
  exports.Set("measureVector", Napi::Function::New(env, MeasureVector));
}

}  // namespace gradscope
