/**
 * A checkpoint is read once (issue 12, item 2): building the network a checkpoint holds opens
 * the file three times, two of them to sniff its kind from a few bytes (a TorchScript archive?
 * a torch.save pickle?) and one to read it, header then data; it used to open it nine times,
 * decoding its header five times. The weights come back equal to those saved.
 */
import assert from 'node:assert/strict';
import * as path from 'path';
import { mock, test } from 'node:test';
import { networkFromCheckpoint, loadNetwork, saveNetwork } from '../../src/engine/checkpoint';
import { Network } from '../../src/engine/network';
import { tempDir } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

// the module object itself (not an import's copy), so that every reader's calls are seen
const realFs = require('fs') as typeof import('fs');

const spec = mnistNetwork('small', { out: 12, batchNorm: true });

/** How many times `work` opens `file`. */
function opensOf(file: string, work: () => void): number {
  const openSync = mock.method(realFs, 'openSync');
  try {
    work();
    return openSync.mock.calls.filter((call) => call.arguments[0] === file).length;
  } finally {
    openSync.mock.restore();
  }
}

test('networkFromCheckpoint and loadNetwork open a checkpoint three times: two sniffs, one read', () => {
  const file = path.join(tempDir('gradscope-once-'), 'net.safetensors');
  const saved = new Network(spec, { seed: 3 });
  saveNetwork(file, saved, { epoch: 2, step: 7, extra: {} });
  const want = Array.from(saved.readParameters());

  let built: ReturnType<typeof networkFromCheckpoint> | undefined;
  assert.equal(
    opensOf(file, () => (built = networkFromCheckpoint(file))),
    3,
  );
  assert.deepEqual(Array.from(built!.network.readParameters()), want);
  assert.equal(built!.info.epoch, 2);
  assert.equal(built!.info.step, 7);

  const other = new Network(spec, { seed: 4 });
  assert.equal(
    opensOf(file, () => loadNetwork(file, other)),
    3,
  );
  assert.deepEqual(Array.from(other.readParameters()), want);
});
