// JS class Optimizer: (network, settings); step(), learningRate, state() and
// setState() for checkpoints.
#include "optimizer.h"
#include "wrappers.h"

namespace gradscope {

namespace {

class OptimizerWrap : public Napi::ObjectWrap<OptimizerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Optimizer",
        {InstanceMethod<&OptimizerWrap::Step>("step"),
         InstanceAccessor<&OptimizerWrap::GetLr, &OptimizerWrap::SetLr>("learningRate"),
         InstanceMethod<&OptimizerWrap::State>("state"),
         InstanceMethod<&OptimizerWrap::SetState>("setState")});
  }
  // (network, settings)
  explicit OptimizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OptimizerWrap>(info) {
    guarded(info.Env(), "Optimizer", [&] {
      Network& net = networkOf(info[0]);
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
      opt = std::make_unique<Optimizer>(net, s);
      return 0;
    });
  }
  Napi::Value Step(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), "step", [&] {
      opt->step();
      return info.Env().Undefined();
    });
  }
  Napi::Value GetLr(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), opt->learningRate());
  }
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
      for (auto& [name, tensor] : tensors) t.Set(name, typedArrayOf(env, tensor.cpu()));
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

}  // namespace

Napi::Function defineOptimizer(Napi::Env env) { return OptimizerWrap::Define(env); }

}  // namespace gradscope
