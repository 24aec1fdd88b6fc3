// The N-API face of the engine: three classes (Dataset, Network, Optimizer) and a
// few process-wide settings, one file each (wrappers.h). Arguments are validated in
// TypeScript (src/engine/); the checks here only stop a bad call from crashing the
// process.
#include "signals.h"
#include "wrappers.h"

namespace gradscope {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Keep freed memory in the process (settings.cc): without this glibc returns every
  // large activation block to the OS and each step page-faults it back (docs/design.md).
  keepMemory(true);
  exports.Set("Dataset", defineDataset(env));
  exports.Set("Network", defineNetwork(env));
  exports.Set("Optimizer", defineOptimizer(env));
  defineSettings(env, exports);
  defineDevice(env, exports);
  defineVectorOps(env, exports);
  defineSignals(env, exports);
  return exports;
}

}  // namespace gradscope

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return gradscope::Init(env, exports);
}

NODE_API_MODULE(gradscope_native, InitAddon)
