// The engine's device: where datasets, flat vectors and optimizer state live (set once per
// process, before any Dataset or Network), what the linked libtorch can reach (CUDA, cuDNN,
// GPUs: asked through ATen's CUDA hooks, which exist in the CPU-only headers and answer
// "none" when libtorch_cuda is not linked), and deterministic algorithms.
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include "wrappers.h"

namespace gradscope {

namespace {

c10::Device chosen(c10::kCPU);

int gpuCount() { return at::detail::getCUDAHooks().getNumGPUs(); }

// Whether the linked libtorch was built with CUDA: its CUDA hooks (libtorch_cuda) answer the
// runtime's version, the CPU-only default throws. at::hasCUDA() is false there without a GPU.
bool builtWithCuda() {
  try {
    at::detail::getCUDAHooks().versionCUDART();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// ('cpu' | 'cuda:N'): the device for every Dataset and Network made after this call.
Napi::Value SetDevice(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "setDevice", [&] {
    c10::Device device(info[0].As<Napi::String>().Utf8Value());
    if (device.is_cuda()) {
      if (!builtWithCuda())
        throw std::invalid_argument("the libtorch gradscope was built against has no CUDA");
      if (gpuCount() == 0) throw std::invalid_argument("libtorch sees no GPU");
      const int index = device.has_index() ? device.index() : 0;
      if (index >= gpuCount())
        throw std::invalid_argument("no GPU " + std::to_string(index) + " (" +
                                    std::to_string(gpuCount()) + " seen)");
      device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
      // float32 means IEEE float32 on a GPU too: libtorch lets cuDNN round convolution inputs
      // to TF32 by default (1e-3 relative), which every comparison with the CPU would see
      at::globalContext().setAllowTF32CuDNN(false);
      at::globalContext().setAllowTF32CuBLAS(false);
    } else if (!device.is_cpu()) {
      throw std::invalid_argument("gradscope runs on cpu or cuda only");
    }
    chosen = device;
    return Napi::String::New(info.Env(), chosen.str());
  });
}

// () -> { device, cuda, cudaVersion, cudnnVersion, gpus }: versions as libtorch's runtime
// reports them (CUDART 12040 = 12.4), null without CUDA.
Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "deviceInfo", [&] {
    auto env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("device", chosen.str());
    const bool cuda = builtWithCuda();
    o.Set("cuda", cuda);
    const auto& hooks = at::detail::getCUDAHooks();
    o.Set("cudaVersion",
          cuda ? Napi::Value(Napi::Number::New(env, static_cast<double>(hooks.versionCUDART())))
               : env.Null());
    o.Set("cudnnVersion",
          cuda && hooks.compiledWithCuDNN()
              ? Napi::Value(Napi::Number::New(env, static_cast<double>(hooks.versionCuDNN())))
              : env.Null());
    o.Set("gpus", gpuCount());
    return o;
  });
}

// (on: boolean): libtorch's deterministic algorithms (an error where an operation has none)
// and cuDNN's deterministic, non-benchmarking convolutions.
Napi::Value SetDeterministic(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "setDeterministic", [&] {
    const bool on = info[0].ToBoolean().Value();
    auto& context = at::globalContext();
    context.setDeterministicAlgorithms(on, /*warn_only=*/false);
    context.setDeterministicCuDNN(on);
    if (on) context.setBenchmarkCuDNN(false);
    return info.Env().Undefined();
  });
}

// (): waits until every kernel queued on the engine device's current stream has run (on a GPU,
// where calls return before their kernels finish; nothing to wait for on the CPU). Timings use it.
Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "synchronize", [&] {
    if (chosen.is_cuda())
      c10::impl::VirtualGuardImpl(chosen.type()).getStream(chosen).synchronize();
    return info.Env().Undefined();
  });
}

}  // namespace

c10::Device engineDevice() { return chosen; }

void defineDevice(Napi::Env env, Napi::Object exports) {
  exports.Set("setDevice", Napi::Function::New(env, SetDevice));
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo));
  exports.Set("setDeterministic", Napi::Function::New(env, SetDeterministic));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
}

}  // namespace gradscope
