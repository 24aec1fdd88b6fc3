// JS class Dataset: (pixels: Uint8Array or Float32Array N*C*H*W, labels: Int32Array N, channels,
// height, width) or (windows: Int32Array N*(context+1) token ids, context); size,
// channelStatistics(), standardise(mean, std).
#include "wrappers.h"

namespace gradscope {

namespace {

class DatasetWrap : public Napi::ObjectWrap<DatasetWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Dataset",
                       {InstanceAccessor<&DatasetWrap::Size>("size"),
                        InstanceMethod<&DatasetWrap::ChannelStatistics>("channelStatistics"),
                        InstanceMethod<&DatasetWrap::Standardise>("standardise")});
  }
  // (pixels: Uint8Array (scaled by 1/255) or Float32Array N*C*H*W, labels: Int32Array N,
  // channels, height, width)
  explicit DatasetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatasetWrap>(info) {
    guarded(info.Env(), "Dataset", [&] {
      if (info[1].IsNumber()) {  // (windows, context): token windows
        auto windows = tensorOver(info[0].As<Napi::TypedArray>(), at::kInt, "windows");
        const int64_t context = info[1].As<Napi::Number>().Int64Value();
        if (context <= 0 || windows.numel() == 0 || windows.numel() % (context + 1) != 0)
          throw std::invalid_argument("token count is not a positive multiple of context + 1");
        data = std::make_unique<Dataset>(windows, context);
        return 0;
      }
      auto array = info[0].As<Napi::TypedArray>();
      auto pixels = tensorOver(
          array, array.TypedArrayType() == napi_float32_array ? at::kFloat : at::kByte, "pixels");
      auto labels = tensorOver(info[1].As<Napi::TypedArray>(), at::kInt, "labels");
      int64_t c = info[2].As<Napi::Number>().Int64Value();
      int64_t h = info[3].As<Napi::Number>().Int64Value();
      int64_t w = info[4].As<Napi::Number>().Int64Value();
      if (c <= 0 || h <= 0 || w <= 0 || pixels.numel() != labels.numel() * c * h * w)
        throw std::invalid_argument(
            "pixel count does not match labels x channels x height x width");
      data = std::make_unique<Dataset>(pixels, labels, c, h, w);
      return 0;
    });
  }
  Napi::Value Size(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(data->size()));
  }
  Napi::Value ChannelStatistics(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "channelStatistics", [&] {
      auto [mean, std] = data->channelStatistics();
      auto result = Napi::Object::New(info.Env());
      auto m = Napi::Array::New(info.Env(), mean.size());
      auto s = Napi::Array::New(info.Env(), std.size());
      for (size_t i = 0; i < mean.size(); ++i) {
        m.Set(i, mean[i]);
        s.Set(i, std[i]);
      }
      result.Set("mean", m);
      result.Set("std", s);
      return result;
    });
  }
  Napi::Value Standardise(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "standardise", [&] {
      auto toVector = [](const Napi::Value& v) {
        auto a = v.As<Napi::Array>();
        std::vector<double> out;
        for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).As<Napi::Number>());
        return out;
      };
      auto mean = toVector(info[0]), std = toVector(info[1]);
      if (data->tokens.defined()) throw std::invalid_argument("token windows have no channels");
      if (static_cast<int64_t>(mean.size()) != data->images.size(3) || mean.size() != std.size())
        throw std::invalid_argument("mean and std need one value per channel");
      data->standardise(mean, std);
      return info.Env().Undefined();
    });
  }
  std::unique_ptr<Dataset> data;
};

}  // namespace

Napi::Function defineDataset(Napi::Env env) { return DatasetWrap::Define(env); }

Dataset& datasetOf(const Napi::Value& value) {
  if (!value.IsObject()) throw std::invalid_argument("expected a Dataset");
  auto* wrap = Napi::ObjectWrap<DatasetWrap>::Unwrap(value.As<Napi::Object>());
  if (!wrap || !wrap->data) throw std::invalid_argument("expected a Dataset");
  return *wrap->data;
}

}  // namespace gradscope
