// Process-wide settings: thread pools (torch's and OpenBLAS's), glibc's handling of
// freed memory, the convolutions' memory format, torch's random
// generator (seed, state, uniform draws), the libtorch version.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <torch/version.h>

#include <mutex>

#include "linear.h"
#include "wrappers.h"

namespace gradscope {

namespace {

using BlasThreadSetter = void (*)(int);
using BlasThreadGetter = int (*)();

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), "setThreads", [&] {
    const int torchThreads = info[0].As<Napi::Number>().Int32Value();
    const int blasThreads = info[1].As<Napi::Number>().Int32Value();
    if (torchThreads > 0) at::set_num_threads(torchThreads);
    auto setter =
        reinterpret_cast<BlasThreadSetter>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
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

Napi::Value SetMemory(const Napi::CallbackInfo& info) {
  keepMemory(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value SetChannelsLast(const Napi::CallbackInfo& info) {
  channelsLastConvolutions = info[0].As<Napi::Boolean>().Value();
  return info.Env().Undefined();
}

Napi::Value SetOneDnnLinear(const Napi::CallbackInfo& info) {
  oneDnnLinear = info[0].As<Napi::Boolean>().Value();
  return info.Env().Undefined();
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
    out.uniform_(info[1].As<Napi::Number>().DoubleValue(),
                 info[2].As<Napi::Number>().DoubleValue());
    return info.Env().Undefined();
  });
}

}  // namespace

void keepMemory(bool keep) {
  if (keep) {
    // mallopt takes an int but stores these two as size_t: -1 is SIZE_MAX, "never trim".
    // INT_MAX (2 GiB) was below C1's working set at batch 5000, so every step gave its
    // heap top back to the OS (brk) and page-faulted it in again.
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, -1);
    mallopt(M_TOP_PAD, 64 << 20);
  } else {
    // glibc's defaults (malloc.c: DEFAULT_MMAP_MAX, DEFAULT_TRIM_THRESHOLD, DEFAULT_TOP_PAD,
    // DEFAULT_MMAP_THRESHOLD), then hand back what is free now
    mallopt(M_MMAP_MAX, 65536);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    mallopt(M_TOP_PAD, 0);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    malloc_trim(0);
  }
}

void defineSettings(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("threads", Napi::Function::New(env, Threads));
  exports.Set("setMemory", Napi::Function::New(env, SetMemory));
  exports.Set("setChannelsLast", Napi::Function::New(env, SetChannelsLast));
  exports.Set("setOneDnnLinear", Napi::Function::New(env, SetOneDnnLinear));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed));
  exports.Set("rngState", Napi::Function::New(env, RngState));
  exports.Set("setRngState", Napi::Function::New(env, SetRngState));
  exports.Set("uniform", Napi::Function::New(env, Uniform));
  exports.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
}

}  // namespace gradscope
