// The N-API face of the engine: three classes (Dataset, Network, Optimizer) and
// a few process-wide settings. Arguments are validated in TypeScript
// (src/engine/); the checks here only stop a bad call from crashing the process.
#include <dlfcn.h>
#include <malloc.h>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <climits>
#include <mutex>

#include "dataset.h"
#include "network.h"
#include "optimizer.h"

namespace gradscope {

Napi::Value typedArrayOf(Napi::Env env, const at::Tensor& flat) {
  const size_t n = static_cast<size_t>(flat.numel());
  Napi::ArrayBuffer buffer;
  if (n == 0) {
    buffer = Napi::ArrayBuffer::New(env, 0);
  } else {
    auto* keep = new at::Tensor(flat);
    buffer = Napi::ArrayBuffer::New(
        env, flat.data_ptr(), n * flat.element_size(),
        [](Napi::Env, void*, at::Tensor* t) { delete t; }, keep);
  }
  switch (flat.scalar_type()) {
    case at::kFloat: return Napi::Float32Array::New(env, n, buffer, 0);
    case at::kDouble: return Napi::Float64Array::New(env, n, buffer, 0);
    case at::kLong: return Napi::BigInt64Array::New(env, n, buffer, 0);
    case at::kByte: return Napi::Uint8Array::New(env, n, buffer, 0);
    default: throw std::invalid_argument("no typed array for this dtype");
  }
}

at::Tensor tensorOver(const Napi::TypedArray& array, at::ScalarType expected, const char* name) {
  napi_typedarray_type want = expected == at::kFloat    ? napi_float32_array
                              : expected == at::kDouble ? napi_float64_array
                              : expected == at::kInt    ? napi_int32_array
                                                        : napi_uint8_array;
  if (array.TypedArrayType() != want)
    throw std::invalid_argument(std::string(name) + " has the wrong element type");
  auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  return at::from_blob(data, {static_cast<int64_t>(array.ElementLength())}, expected);
}

at::Tensor indexTensor(const Napi::Value& value, int64_t limit) {
  if (!value.IsTypedArray()) throw std::invalid_argument("indices must be an Int32Array");
  auto raw = tensorOver(value.As<Napi::TypedArray>(), at::kInt, "indices");
  const int32_t* p = raw.data_ptr<int32_t>();
  for (int64_t i = 0; i < raw.numel(); ++i)
    if (p[i] < 0 || p[i] >= limit)
      throw std::out_of_range("index " + std::to_string(p[i]) + " at position " +
                              std::to_string(i) + " is outside [0, " + std::to_string(limit) +
                              ")");
  if (raw.numel() == 0) throw std::invalid_argument("indices are empty");
  return raw.to(at::kLong);
}

namespace {

// ---------------------------------------------------------------- Dataset
class DatasetWrap : public Napi::ObjectWrap<DatasetWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Dataset",
                       {InstanceAccessor<&DatasetWrap::Size>("size"),
                        InstanceMethod<&DatasetWrap::ChannelStatistics>("channelStatistics"),
                        InstanceMethod<&DatasetWrap::Standardise>("standardise")});
  }
  // (pixels: Uint8Array N*C*H*W, labels: Int32Array N, channels, height, width)
  explicit DatasetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatasetWrap>(info) {
    guarded(info.Env(), "Dataset", [&] {
      auto pixels = tensorOver(info[0].As<Napi::TypedArray>(), at::kByte, "pixels");
      auto labels = tensorOver(info[1].As<Napi::TypedArray>(), at::kInt, "labels");
      int64_t c = info[2].As<Napi::Number>().Int64Value();
      int64_t h = info[3].As<Napi::Number>().Int64Value();
      int64_t w = info[4].As<Napi::Number>().Int64Value();
      if (c <= 0 || h <= 0 || w <= 0 || pixels.numel() != labels.numel() * c * h * w)
        throw std::invalid_argument("pixel count does not match labels x channels x height x width");
      data = std::make_unique<Dataset>(pixels.data_ptr<uint8_t>(), labels, c, h, w);
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
      if (static_cast<int64_t>(mean.size()) != data->images.size(3) || mean.size() != std.size())
        throw std::invalid_argument("mean and std need one value per channel");
      data->standardise(mean, std);
      return info.Env().Undefined();
    });
  }
  std::unique_ptr<Dataset> data;
};

// ---------------------------------------------------------------- Network
Layer layerFrom(const Napi::Object& o) {
  auto num = [&](const char* k, int64_t fallback) -> int64_t {
    auto v = o.Get(k);
    return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : fallback;
  };
  auto real = [&](const char* k, double fallback) -> double {
    auto v = o.Get(k);
    return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
  };
  Layer l;
  const std::string type = o.Get("type").As<Napi::String>();
  if (type == "linear") l.kind = Layer::Kind::Linear;
  else if (type == "conv2d") l.kind = Layer::Kind::Conv2d;
  else if (type == "batchnorm1d" || type == "batchnorm2d") l.kind = Layer::Kind::BatchNorm;
  else if (type == "relu") l.kind = Layer::Kind::ReLU;
  else if (type == "maxpool2d") l.kind = Layer::Kind::MaxPool2d;
  else if (type == "dropout") l.kind = Layer::Kind::Dropout;
  else if (type == "flatten") l.kind = Layer::Kind::Flatten;
  else throw std::invalid_argument("unknown layer type '" + type + "'");
  l.in = num("in", 0);
  l.out = num("out", 0);
  l.kernel = num("kernel", 0);
  l.stride = num("stride", 1);
  l.padding = num("padding", 0);
  l.bias = o.Get("bias").IsBoolean() && o.Get("bias").As<Napi::Boolean>().Value();
  l.eps = real("eps", 1e-5);
  l.momentum = real("momentum", 0.1);
  l.p = real("p", 0.5);
  return l;
}

class NetworkWrap : public Napi::ObjectWrap<NetworkWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    auto f = DefineClass(
        env, "Network",
        {InstanceMethod<&NetworkWrap::Parameters>("parameters"),
         InstanceMethod<&NetworkWrap::Gradients>("gradients"),
         InstanceMethod<&NetworkWrap::Statistics>("statistics"),
         InstanceMethod<&NetworkWrap::BatchCounts>("batchCounts"),
         InstanceMethod<&NetworkWrap::ParameterTable>("parameterTable"),
         InstanceMethod<&NetworkWrap::Gradient>("gradient"),
         InstanceMethod<&NetworkWrap::Evaluate>("evaluate"),
         InstanceMethod<&NetworkWrap::HessianVector>("hessianVector"),
         InstanceMethod<&NetworkWrap::Logits>("logits"),
         InstanceMethod<&NetworkWrap::Recalibrate>("recalibrate")});
    return f;
  }
  // (layers: object[], dtype: 'float32'|'float64', seed: number)
  explicit NetworkWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkWrap>(info) {
    guarded(info.Env(), "Network", [&] {
      auto list = info[0].As<Napi::Array>();
      std::vector<Layer> layers;
      for (uint32_t i = 0; i < list.Length(); ++i) layers.push_back(layerFrom(list.Get(i).As<Napi::Object>()));
      const std::string dtype = info[1].As<Napi::String>();
      const auto seed = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
      net = std::make_unique<Network>(std::move(layers), dtype == "float64" ? at::kDouble : at::kFloat,
                                      seed);
      return 0;
    });
  }
  Napi::Value Parameters(const Napi::CallbackInfo& info) { return typedArrayOf(info.Env(), net->flat); }
  Napi::Value Gradients(const Napi::CallbackInfo& info) { return typedArrayOf(info.Env(), net->flatGrad); }
  Napi::Value Statistics(const Napi::CallbackInfo& info) { return typedArrayOf(info.Env(), net->flatStats); }
  Napi::Value BatchCounts(const Napi::CallbackInfo& info) { return typedArrayOf(info.Env(), net->flatCounts); }
  Napi::Value ParameterTable(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    auto table = Napi::Array::New(env, net->params.size());
    int64_t offset = 0;
    for (size_t i = 0; i < net->params.size(); ++i) {
      auto row = Napi::Object::New(env);
      row.Set("name", net->paramNames[i]);
      auto shape = Napi::Array::New(env);
      for (auto d : net->params[i].sizes()) shape.Set(shape.Length(), static_cast<double>(d));
      row.Set("shape", shape);
      row.Set("offset", static_cast<double>(offset));
      offset += net->params[i].numel();
      table.Set(i, row);
    }
    return table;
  }

  struct Call {
    Dataset* data;
    at::Tensor indices;
    Mode mode;
    int64_t chunk;
  };
  Call callFrom(const Napi::CallbackInfo& info) {
    auto* ds = Napi::ObjectWrap<DatasetWrap>::Unwrap(info[0].As<Napi::Object>());
    Call c{ds->data.get(), indexTensor(info[1], ds->data->size()),
           parseMode(info[2].As<Napi::String>()), info[3].As<Napi::Number>().Int64Value()};
    if (c.chunk <= 0) throw std::invalid_argument("chunk must be positive");
    return c;
  }
  static Napi::Value resultOf(Napi::Env env, const Evaluation& e) {
    auto o = Napi::Object::New(env);
    o.Set("lossSum", e.lossSum);
    o.Set("correct", static_cast<double>(e.correct));
    return o;
  }
  // (dataset, indices, mode, chunk)
  Napi::Value Gradient(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "gradient", [&] {
      auto c = callFrom(info);
      return resultOf(info.Env(), net->gradient(*c.data, c.indices, c.mode, c.chunk));
    });
  }
  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "evaluate", [&] {
      auto c = callFrom(info);
      return resultOf(info.Env(), net->evaluate(*c.data, c.indices, c.mode, c.chunk));
    });
  }
  // (dataset, indices, mode, chunk, v, out)
  Napi::Value HessianVector(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "hessianVector", [&] {
      auto c = callFrom(info);
      auto v = tensorOver(info[4].As<Napi::TypedArray>(), net->dtype, "v");
      auto out = tensorOver(info[5].As<Napi::TypedArray>(), net->dtype, "out");
      if (v.numel() != net->flat.numel() || out.numel() != net->flat.numel())
        throw std::invalid_argument("v and out need one entry per parameter");
      return resultOf(info.Env(), net->hessianVector(*c.data, c.indices, c.mode, c.chunk, v, out));
    });
  }
  Napi::Value Logits(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "logits", [&] {
      auto c = callFrom(info);
      return typedArrayOf(info.Env(), net->logits(*c.data, c.indices, c.mode, c.chunk));
    });
  }
  // (dataset, indices, mode (ignored), chunk, keep)
  Napi::Value Recalibrate(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "recalibrate", [&] {
      auto c = callFrom(info);
      auto sample = net->recalibrate(*c.data, c.indices, c.chunk, info[4].ToBoolean().Value());
      return sample ? resultOf(info.Env(), *sample) : info.Env().Null();
    });
  }
  std::unique_ptr<Network> net;
};

// ---------------------------------------------------------------- Optimizer
class OptimizerWrap : public Napi::ObjectWrap<OptimizerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Optimizer",
                       {InstanceMethod<&OptimizerWrap::Step>("step"),
                        InstanceAccessor<&OptimizerWrap::GetLr, &OptimizerWrap::SetLr>("learningRate"),
                        InstanceMethod<&OptimizerWrap::State>("state"),
                        InstanceMethod<&OptimizerWrap::SetState>("setState")});
  }
  // (network, settings)
  explicit OptimizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OptimizerWrap>(info) {
    guarded(info.Env(), "Optimizer", [&] {
      auto* nw = Napi::ObjectWrap<NetworkWrap>::Unwrap(info[0].As<Napi::Object>());
      network.Reset(info[0].As<Napi::Object>(), 1);  // keep the network alive
      auto o = info[1].As<Napi::Object>();
      auto real = [&](const char* k, double fallback) {
        auto v = o.Get(k);
        return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
      };
      OptimizerSettings s;
      s.kind = o.Get("kind").As<Napi::String>();
      s.lr = real("lr", 1e-3);
      s.beta1 = real("beta1", 0.9);
      s.beta2 = real("beta2", 0.999);
      s.eps = real("eps", 1e-8);
      s.weightDecay = real("weightDecay", 0);
      s.momentum = real("momentum", 0);
      s.dampening = real("dampening", 0);
      s.nesterov = o.Get("nesterov").IsBoolean() && o.Get("nesterov").As<Napi::Boolean>().Value();
      opt = std::make_unique<Optimizer>(*nw->net, s);
      return 0;
    });
  }
  Napi::Value Step(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "step", [&] {
      opt->step();
      return info.Env().Undefined();
    });
  }
  Napi::Value GetLr(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), opt->learningRate()); }
  void SetLr(const Napi::CallbackInfo& info, const Napi::Value& v) {
    guarded(info.Env(), "learningRate", [&] {
      opt->setLearningRate(v.As<Napi::Number>().DoubleValue());
      return 0;
    });
  }
  // () -> { step, tensors: { name: Float32Array|Float64Array } } (copies)
  Napi::Value State(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "state", [&] {
      int64_t step = 0;
      auto tensors = opt->state(&step);
      auto env = info.Env();
      auto result = Napi::Object::New(env);
      result.Set("step", static_cast<double>(step));
      auto t = Napi::Object::New(env);
      for (auto& [name, tensor] : tensors) t.Set(name, typedArrayOf(env, tensor));
      result.Set("tensors", t);
      return result;
    });
  }
  // (step, tensors)
  Napi::Value SetState(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "setState", [&] {
      const int64_t step = info[0].As<Napi::Number>().Int64Value();
      auto t = info[1].As<Napi::Object>();
      std::map<std::string, at::Tensor> tensors;
      auto names = t.GetPropertyNames();
      for (uint32_t i = 0; i < names.Length(); ++i) {
        std::string name = names.Get(i).As<Napi::String>();
        tensors[name] = tensorOver(t.Get(name).As<Napi::TypedArray>(), opt->parameter.scalar_type(),
                                   name.c_str());
      }
      opt->setState(tensors, step);
      return info.Env().Undefined();
    });
  }
  Napi::ObjectReference network;
  std::unique_ptr<Optimizer> opt;
};

// ---------------------------------------------------------------- process-wide settings
using BlasThreadSetter = void (*)(int);
using BlasThreadGetter = int (*)();

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "setThreads", [&] {
    const int torchThreads = info[0].As<Napi::Number>().Int32Value();
    const int blasThreads = info[1].As<Napi::Number>().Int32Value();
    if (torchThreads > 0) at::set_num_threads(torchThreads);
    auto setter = reinterpret_cast<BlasThreadSetter>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (blasThreads > 0 && setter) setter(blasThreads);
    return info.Env().Undefined();
  });
}

Napi::Value Threads(const Napi::CallbackInfo& info) {
  auto o = Napi::Object::New(info.Env());
  o.Set("torch", at::get_num_threads());
  auto getter = reinterpret_cast<BlasThreadGetter>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  o.Set("blas", getter ? getter() : -1);
  auto config = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  o.Set("blasConfig", config ? std::string(config()) : std::string("not OpenBLAS"));
  return o;
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  at::manual_seed(static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

Napi::Value RngState(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "rngState", [&] {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    return typedArrayOf(info.Env(), gen.get_state().clone());
  });
}

Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "setRngState", [&] {
    auto state = tensorOver(info[0].As<Napi::TypedArray>(), at::kByte, "state").clone();
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
    return info.Env().Undefined();
  });
}

// (out: Float32Array|Float64Array, low, high): out ~ U(low, high) from torch's generator.
Napi::Value Uniform(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "uniform", [&] {
    auto array = info[0].As<Napi::TypedArray>();
    auto type = array.TypedArrayType() == napi_float64_array ? at::kDouble : at::kFloat;
    auto out = tensorOver(array, type, "out");
    out.uniform_(info[1].As<Napi::Number>().DoubleValue(), info[2].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  });
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  // Keep freed memory in the process: without this glibc returns every large
  // activation block to the OS and each step page-faults it back (docs/design.md).
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, INT_MAX);
  mallopt(M_TOP_PAD, 64 << 20);
  exports.Set("Dataset", DatasetWrap::Define(env));
  exports.Set("Network", NetworkWrap::Define(env));
  exports.Set("Optimizer", OptimizerWrap::Define(env));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("rngState", Napi::Function::New(env, RngState));
  exports.Set("setRngState", Napi::Function::New(env, SetRngState));
  exports.Set("uniform", Napi::Function::New(env, Uniform));
  exports.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  return exports;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) { return InitModule(env, exports); }
}  // namespace gradscope

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return gradscope::Init(env, exports);
}

NODE_API_MODULE(gradscope_native, InitAddon)
