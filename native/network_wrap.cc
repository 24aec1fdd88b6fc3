// JS class Network: (layers: object[], dtype 'float32'|'float64', seed); the flat
// parameter, gradient, statistics and batch-count buffers as typed arrays (zero-copy, on the
// CPU only) or read and written by explicit copies (any device), and gradient / evaluate /
// hessianVector / logits / recalibrate over an index set.
#include "wrappers.h"

namespace gradscope {

namespace {

Layer layerFrom(const Napi::Object& o);

std::vector<Layer> layersFrom(const Napi::Value& value) {
  std::vector<Layer> layers;
  if (!value.IsArray()) return layers;
  auto list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i)
    layers.push_back(layerFrom(list.Get(i).As<Napi::Object>()));
  return layers;
}

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
  if (type == "linear")
    l.kind = Layer::Kind::Linear;
  else if (type == "conv2d")
    l.kind = Layer::Kind::Conv2d;
  else if (type == "batchnorm1d" || type == "batchnorm2d")
    l.kind = Layer::Kind::BatchNorm;
  else if (type == "relu")
    l.kind = Layer::Kind::ReLU;
  else if (type == "maxpool2d")
    l.kind = Layer::Kind::MaxPool2d;
  else if (type == "dropout")
    l.kind = Layer::Kind::Dropout;
  else if (type == "flatten")
    l.kind = Layer::Kind::Flatten;
  else if (type == "globalavgpool")
    l.kind = Layer::Kind::GlobalAvgPool;
  else if (type == "residual")
    l.kind = Layer::Kind::Residual;
  else if (type == "embedding")
    l.kind = Layer::Kind::Embedding;
  else if (type == "block")
    l.kind = Layer::Kind::Block;
  else if (type == "layernorm")
    l.kind = Layer::Kind::LayerNorm;
  else if (type == "head")
    l.kind = Layer::Kind::Head;
  else
    throw std::invalid_argument("unknown layer type '" + type + "'");
  l.in = num("in", 0);
  l.out = num("out", 0);
  l.kernel = num("kernel", 0);
  l.stride = num("stride", 1);
  l.padding = num("padding", 0);
  l.bias = o.Get("bias").IsBoolean() && o.Get("bias").As<Napi::Boolean>().Value();
  l.eps = real("eps", 1e-5);
  l.momentum = real("momentum", 0.1);
  l.p = real("p", 0.5);
  l.context = num("context", 0);
  l.heads = num("heads", 0);
  if (l.kind == Layer::Kind::Block && (l.heads <= 0 || l.out % l.heads != 0))
    throw std::invalid_argument("a block's width must be a multiple of its heads");
  if (l.kind == Layer::Kind::Residual) {
    l.branch = layersFrom(o.Get("branch"));
    l.shortcut = layersFrom(o.Get("shortcut"));
    l.skip = o.Get("shortcut").IsArray();
    l.activation = o.Get("activation").ToBoolean().Value();
  }
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
         InstanceMethod<&NetworkWrap::Read>("read"), InstanceMethod<&NetworkWrap::Write>("write"),
         InstanceAccessor<&NetworkWrap::Device>("device"),
         InstanceMethod<&NetworkWrap::ParameterTable>("parameterTable"),
         InstanceMethod<&NetworkWrap::StatisticsNames>("statisticsNames"),
         InstanceMethod<&NetworkWrap::Gradient>("gradient"),
         InstanceMethod<&NetworkWrap::Evaluate>("evaluate"),
         InstanceMethod<&NetworkWrap::HessianVector>("hessianVector"),
         InstanceMethod<&NetworkWrap::Logits>("logits"),
         InstanceMethod<&NetworkWrap::Recalibrate>("recalibrate"),
         InstanceMethod<&NetworkWrap::OtherState>("otherState")});
    return f;
  }
  // (layers: object[], dtype: 'float32'|'float64', seed: number)
  explicit NetworkWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NetworkWrap>(info) {
    guarded(info.Env(), "Network", [&] {
      if (info[0].IsString()) {  // (file: string, dtype): a TorchScript module
        const std::string dtype = info[1].As<Napi::String>();
        net = Network::fromTorchScript(info[0].As<Napi::String>(),
                                       dtype == "float64" ? at::kDouble : at::kFloat);
        return 0;
      }
      auto list = info[0].As<Napi::Array>();
      std::vector<Layer> layers;
      for (uint32_t i = 0; i < list.Length(); ++i)
        layers.push_back(layerFrom(list.Get(i).As<Napi::Object>()));
      const std::string dtype = info[1].As<Napi::String>();
      const auto seed = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
      net = std::make_unique<Network>(std::move(layers),
                                      dtype == "float64" ? at::kDouble : at::kFloat, seed);
      return 0;
    });
  }
  Napi::Value Parameters(const Napi::CallbackInfo& info) {
    return typedArrayOf(info.Env(), net->flat);
  }
  Napi::Value Gradients(const Napi::CallbackInfo& info) {
    return typedArrayOf(info.Env(), net->flatGrad);
  }
  Napi::Value Statistics(const Napi::CallbackInfo& info) {
    return typedArrayOf(info.Env(), net->flatStats);
  }
  Napi::Value BatchCounts(const Napi::CallbackInfo& info) {
    return typedArrayOf(info.Env(), net->flatCounts);
  }
  Napi::Value Device(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), net->flat.device().str());
  }
  // The part [offset, offset + length) of a buffer and a typed array of that length: the
  // buffer's element type (float32/float64, int64 for batchCounts).
  at::Tensor bufferPart(const Napi::CallbackInfo& info, at::Tensor*& whole, at::Tensor& host) {
    whole = &net->buffer(info[0].As<Napi::String>().Utf8Value());
    if (!info[1].IsTypedArray()) throw std::invalid_argument("expected a typed array");
    auto array = info[1].As<Napi::TypedArray>();
    const auto type = whole->scalar_type();
    if (type == at::kLong) {
      if (array.TypedArrayType() != napi_bigint64_array)
        throw std::invalid_argument("batchCounts need a BigInt64Array");
      auto* data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
      host = at::from_blob(data, {static_cast<int64_t>(array.ElementLength())}, at::kLong);
    } else {
      host = tensorOver(array, type, "values");
    }
    const int64_t offset = info[2].As<Napi::Number>().Int64Value();
    if (offset < 0 || offset + host.numel() > whole->numel())
      throw std::out_of_range("the values do not fit the buffer at that offset");
    return whole->narrow(0, offset, host.numel());
  }
  // (buffer, out, offset): out <- buffer[offset, offset + out.length)
  Napi::Value Read(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "read", [&] {
      at::Tensor* whole = nullptr;
      at::Tensor host;
      auto part = bufferPart(info, whole, host);
      host.copy_(part);
      return info.Env().Undefined();
    });
  }
  // (buffer, values, offset): buffer[offset, offset + values.length) <- values
  Napi::Value Write(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "write", [&] {
      at::Tensor* whole = nullptr;
      at::Tensor host;
      auto part = bufferPart(info, whole, host);
      at::NoGradGuard noGrad;
      part.copy_(host);
      return info.Env().Undefined();
    });
  }
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

  // The batch norms' names (a TorchScript module's; empty for layer lists, named in JS).
  Napi::Value StatisticsNames(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    auto names = Napi::Array::New(env, net->statNames.size());
    for (size_t i = 0; i < net->statNames.size(); ++i) {
      auto row = Napi::Object::New(env);
      row.Set("name", net->statNames[i]);
      row.Set("features", static_cast<double>(net->runningMean[i].numel()));
      names.Set(i, row);
    }
    return names;
  }

  // A TorchScript module's buffers that gradscope does not hold, "name (ModuleType)".
  Napi::Value OtherState(const Napi::CallbackInfo& info) {
    auto names = net->otherState();
    auto list = Napi::Array::New(info.Env(), names.size());
    for (size_t i = 0; i < names.size(); ++i) list.Set(i, names[i]);
    return list;
  }

  struct Call {
    Dataset* data;
    at::Tensor indices;
    Mode mode;
    int64_t chunk;
  };
  Call callFrom(const Napi::CallbackInfo& info) {
    Dataset& ds = datasetOf(info[0]);
    Call c{&ds, indexTensor(info[1], ds.size()).to(ds.device()),
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
      // on another device: v copied there, H v computed there and copied back
      auto onDevice = v.to(net->flat.device());
      auto result = out.device() == net->flat.device() ? out : at::empty_like(onDevice);
      auto e = net->hessianVector(*c.data, c.indices, c.mode, c.chunk, onDevice, result);
      if (!result.is_same(out)) out.copy_(result);
      return resultOf(info.Env(), e);
    });
  }
  Napi::Value Logits(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "logits", [&] {
      auto c = callFrom(info);
      return typedArrayOf(info.Env(), net->logits(*c.data, c.indices, c.mode, c.chunk).cpu());
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

}  // namespace

Napi::Function defineNetwork(Napi::Env env) { return NetworkWrap::Define(env); }

Network& networkOf(const Napi::Value& value) {
  if (!value.IsObject()) throw std::invalid_argument("expected a Network");
  auto* wrap = Napi::ObjectWrap<NetworkWrap>::Unwrap(value.As<Napi::Object>());
  if (!wrap || !wrap->net) throw std::invalid_argument("expected a Network");
  return *wrap->net;
}

}  // namespace gradscope
