/** `gradscope info`: the engine, its threads and BLAS, what libtorch reaches (CUDA, cuDNN,
 * GPUs) and the device this command line would compute on, as this process sees them. */
import { addon } from '../engine/native';
import { deviceInfo, settleDevice } from '../engine/device';
import { defaultLinear, threads } from '../engine/threads';
import { tuning } from '../engine/tuning';
import type { Command } from './command';

/** 12040 -> "12.4", 90100 -> "9.1.0": CUDA's and cuDNN's version encodings. */
function cudaVersion(v: number | null): string | null {
  return v === null ? null : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}
function cudnnVersion(v: number | null): string | null {
  if (v === null) return null;
  // cuDNN 9: major * 10000 + minor * 100 + patch; cuDNN 8 and older: major * 1000 + minor * 100
  return v >= 90000
    ? `${Math.floor(v / 10000)}.${Math.floor((v % 10000) / 100)}.${v % 100}`
    : `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 100)}.${v % 100}`;
}

export const infoCommand: Command = {
  summary:
    'show the engine: libtorch version, threads, BLAS, CUDA, the device in use, the tuning file',
  example: 'gradscope info --json',
  globals: ['json', 'quiet', 'device'],
  options: {},
  run(_values, _positionals, log) {
    settleDevice();
    const d = deviceInfo();
    const result = {
      libtorch: addon().torchVersion,
      threads: threads(),
      // float32 Linear layers' kernels where no tuning choice says otherwise (GRADSCOPE_LINEAR)
      linear: defaultLinear(),
      cuda: d.cuda,
      cudaVersion: cudaVersion(d.cudaVersion),
      cudnnVersion: cudnnVersion(d.cudnnVersion),
      devices: ['cpu', ...Array.from({ length: d.gpus }, (_, i) => `cuda:${i}`)],
      device: d.device,
      tuning: tuning(),
    };
    if (!log.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  },
};
