// The helpers every wrapper uses: typed arrays over tensors and back, index checks.
#include "common.h"

#include <pthread.h>

namespace gradscope {

namespace {

// Every signal but the synchronous ones, which a thread must never hold (SIGKILL and SIGSTOP
// cannot be held; the kernel ignores them here).
sigset_t asyncSignals() {
  sigset_t set;
  sigfillset(&set);
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT}) sigdelset(&set, s);
  return set;
}

const sigset_t kAsyncSignals = asyncSignals();

}  // namespace

AsyncSignalsHeld::AsyncSignalsHeld() { pthread_sigmask(SIG_BLOCK, &kAsyncSignals, &previous_); }

AsyncSignalsHeld::~AsyncSignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

Napi::Value typedArrayOf(Napi::Env env, const at::Tensor& flat) {
  if (!flat.is_cpu())
    throw std::invalid_argument("zero-copy views exist on the CPU only (read and write instead)");
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
                              std::to_string(i) + " is outside [0, " + std::to_string(limit) + ")");
  if (raw.numel() == 0) throw std::invalid_argument("indices are empty");
  return raw.to(at::kLong);
}

}  // namespace gradscope
