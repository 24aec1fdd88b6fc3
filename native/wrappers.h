// The N-API classes and functions of the addon, one file each: dataset_wrap.cc,
// network_wrap.cc, optimizer_wrap.cc, settings.cc; addon.cc registers them.
#pragma once

#include "dataset.h"
#include "network.h"

namespace gradscope {

Napi::Function defineDataset(Napi::Env env);
// The Dataset behind a JS Dataset object (throws if it is not one).
Dataset& datasetOf(const Napi::Value& value);

Napi::Function defineNetwork(Napi::Env env);
// The Network behind a JS Network object (throws if it is not one).
Network& networkOf(const Napi::Value& value);

Napi::Function defineOptimizer(Napi::Env env);

// setDevice, deviceInfo, setDeterministic, synchronize (device.cc).
void defineDevice(Napi::Env env, Napi::Object exports);

// DeviceVector, measureGradient, measureVector (vector-ops.cc).
void defineVectorOps(Napi::Env env, Napi::Object exports);

// setThreads, threads, setMemory, setChannelsLast, setOneDnnLinear, manualSeed, rngState,
// setRngState,
// uniform, torchVersion.
void defineSettings(Napi::Env env, Napi::Object exports);

// keep: freed memory stays in the process (no mmap for large blocks, the heap never
// trimmed); otherwise glibc's defaults (large blocks mapped and unmapped each time).
void keepMemory(bool keep);

}  // namespace gradscope
