// Shared by every translation unit of the addon: libtorch's ATen and autograd
// headers (not torch/torch.h, to keep each unit's compile short), node-addon-api,
// and the few helpers that turn C++ failures into JS Errors.
#pragma once

#include <ATen/ATen.h>
#include <napi.h>
#include <signal.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/generated/variable_factories.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gradscope {

// Holds the asynchronous signals (SIGINT, SIGTERM, SIGUSR2, SIGCHLD, SIGPROF, ...) pending on
// this thread while it lives. A signal handled on a thread that is inside libtorch 1.13's oneDNN
// kernels corrupted the heap on the 2-core AMD EPYC (issue: "corrupted size vs. prev_size" some
// steps after a SIGINT, reproduced in PyTorch itself with mkldnn_linear and a Python handler);
// with the signals held here the kernel gives them to one of Node's own threads, whose handler
// only writes to libuv's pipe, or delivers them on this one when the call returns. Threads that
// libtorch starts inside a call (its OpenMP pool) inherit the held set. Synchronous signals
// (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT) are never held.
class AsyncSignalsHeld {
 public:
  AsyncSignalsHeld();
  ~AsyncSignalsHeld();
  AsyncSignalsHeld(const AsyncSignalsHeld&) = delete;
  AsyncSignalsHeld& operator=(const AsyncSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

// Runs body with the asynchronous signals held (AsyncSignalsHeld); any C++ exception
// (c10::Error included) becomes a JS Error carrying its first line, the part a user can act on.
template <typename F>
auto guarded(const Napi::Env& env, const char* what, F body) -> decltype(body()) {
  AsyncSignalsHeld held;
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
