// JS class LayerSignals and signalSizes (signals.h):
//   signalSizes(network, dataset)                 {perExample, fixed, activations}: elements,
//                                                 nothing held
//   new LayerSignals(network, dataset, indices, chunk)
//                                                 one population-mode pass over indices: row r
//                                                 holds indices[r]'s signals; the network's
//                                                 gradient buffer holds their mean gradient
//   s.evaluation()                                {lossSum, correct} of that pass
//   s.gradient(rows: Int32Array)                  gradient buffer <- mean gradient of the rows
//   s.rows, s.bytes                               rows held, bytes held
//   s.release()                                   frees the signals now
//   exampleNormsApply(network)                   whether exampleSquaredNorms covers its layers
//   exampleSquaredNorms(network, dataset, indices, chunk)
//                                                 {examples: Float64Array, meanSquared}: each
//                                                 example's |g_i|^2 and |mean g_i|^2, population
//                                                 mode, nothing in the network changed
// The object keeps its network and dataset alive (a draw gathers the first layer's input from
// the dataset); a draw after the network's parameters or batch-norm statistics changed, or
// after the dataset was standardised, is refused.
#include "signals.h"
#include "wrappers.h"

namespace gradscope {

namespace {

class LayerSignalsWrap : public Napi::ObjectWrap<LayerSignalsWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LayerSignals",
                       {InstanceMethod<&LayerSignalsWrap::Evaluation>("evaluation"),
                        InstanceMethod<&LayerSignalsWrap::Gradient>("gradient"),
                        InstanceMethod<&LayerSignalsWrap::Release>("release"),
                        InstanceAccessor<&LayerSignalsWrap::Rows>("rows"),
                        InstanceAccessor<&LayerSignalsWrap::Bytes>("bytes")});
  }
  // (network, dataset, indices, chunk)
  explicit LayerSignalsWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<LayerSignalsWrap>(info) {
    guarded(info.Env(), "LayerSignals", [&] {
      Network& net = networkOf(info[0]);
      Dataset& data = datasetOf(info[1]);
      auto indices = indexTensor(info[2], data.size()).to(data.device());
      const int64_t chunk = info[3].As<Napi::Number>().Int64Value();
      if (chunk <= 0) throw std::invalid_argument("chunk must be positive");
      signals = std::make_unique<LayerSignals>(net, data, indices, chunk, pass);
      network = Napi::Persistent(info[0].As<Napi::Object>());
      dataset = Napi::Persistent(info[1].As<Napi::Object>());
      return 0;
    });
  }
  Napi::Value Evaluation(const Napi::CallbackInfo& info) {
    auto o = Napi::Object::New(info.Env());
    o.Set("lossSum", pass.lossSum);
    o.Set("correct", static_cast<double>(pass.correct));
    return o;
  }
  // (rows: Int32Array)
  Napi::Value Gradient(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "LayerSignals.gradient", [&] {
      signals->gradient(indexTensor(info[0], held().rows()));
      return info.Env().Undefined();
    });
  }
  Napi::Value Release(const Napi::CallbackInfo& info) {
    signals.reset();
    return info.Env().Undefined();
  }
  Napi::Value Rows(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), signals ? static_cast<double>(signals->rows()) : 0);
  }
  Napi::Value Bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), signals ? static_cast<double>(signals->bytes()) : 0);
  }

 private:
  LayerSignals& held() {
    if (!signals) throw std::invalid_argument("the layer signals were released");
    return *signals;
  }
  std::unique_ptr<LayerSignals> signals;
  gradscope::Evaluation pass;
  Napi::ObjectReference network, dataset;
};

// (network, dataset)
Napi::Value SignalSizes(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "signalSizes", [&] {
    auto sizes = LayerSignals::sizes(networkOf(info[0]), datasetOf(info[1]));
    auto o = Napi::Object::New(info.Env());
    o.Set("perExample", static_cast<double>(sizes.perExample));
    o.Set("fixed", static_cast<double>(sizes.fixed));
    o.Set("activations", static_cast<double>(sizes.activations));
    return o;
  });
}

// (network)
Napi::Value ExampleNormsApply(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "exampleNormsApply", [&] {
    return Napi::Boolean::New(info.Env(), exampleNormsApply(networkOf(info[0])));
  });
}

// (network, dataset, indices, chunk)
Napi::Value ExampleSquaredNorms(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "exampleSquaredNorms", [&] {
    Dataset& data = datasetOf(info[1]);
    auto indices = indexTensor(info[2], data.size()).to(data.device());
    const int64_t chunk = info[3].As<Napi::Number>().Int64Value();
    if (indices.size(0) < 1) throw std::invalid_argument("no examples");
    if (chunk <= 0) throw std::invalid_argument("chunk must be positive");
    auto [examples, meanSquared] = exampleSquaredNorms(networkOf(info[0]), data, indices, chunk);
    auto o = Napi::Object::New(info.Env());
    o.Set("examples", typedArrayOf(info.Env(), examples));
    o.Set("meanSquared", meanSquared);
    return o;
  });
}

}  // namespace

void defineSignals(Napi::Env env, Napi::Object exports) {
  exports.Set("LayerSignals", LayerSignalsWrap::Define(env));
  exports.Set("signalSizes", Napi::Function::New(env, SignalSizes));
  exports.Set("exampleNormsApply", Napi::Function::New(env, ExampleNormsApply));
  exports.Set("exampleSquaredNorms", Napi::Function::New(env, ExampleSquaredNorms));
}

}  // namespace gradscope
