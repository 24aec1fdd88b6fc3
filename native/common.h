// Shared by every translation unit of the addon: libtorch's ATen and autograd
// headers (not torch/torch.h, to keep each unit's compile short), node-addon-api,
// and the few helpers that turn C++ failures into JS Errors.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gradscope {

// Runs body; any C++ exception (c10::Error included) becomes a JS Error carrying
// its first line, the part a user can act on.
template <typename F>
auto guarded(const Napi::Env& env, const char* what, F body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    auto nl = msg.find('\n');
    if (nl != std::string::npos) msg = msg.substr(0, nl);
    throw Napi::Error::New(env, std::string("gradscope native ") + what + ": " + msg);
  }
}

// The device every Dataset and Network is made on (native/device.cc; the CPU unless set).
c10::Device engineDevice();

// A typed array whose memory is a tensor's, kept alive by the array itself (CPU tensors only).
Napi::Value typedArrayOf(Napi::Env env, const at::Tensor& flat);

// A tensor over a JS typed array's memory (no copy); valid during the call only.
at::Tensor tensorOver(const Napi::TypedArray& array, at::ScalarType expected, const char* name);

// Indices from an Int32Array as an int64 tensor, each checked against [0, limit).
at::Tensor indexTensor(const Napi::Value& value, int64_t limit);

}  // namespace gradscope
