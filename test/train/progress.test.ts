import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeProgress, type ProgressSink } from '../../src/train/progress.js';

/** A sink with a hand-set clock that keeps what was written, as a non-terminal stderr would get it. */
function fakeSink(): ProgressSink & { at: number; lines: string[] } {
  const sink = {
    at: 0,
    lines: [] as string[],
    tty: false,
    now: () => sink.at,
    write: (text: string) => {
      sink.lines.push(text.trimEnd());
    },
  };
  return sink;
}

test('work progress times a new piece from its own first report, not from an earlier piece', () => {
  const sink = fakeSink();
  const progress = makeProgress({ quiet: false, interval: 1, sink });
  progress.work('epoch 10 Experiment B', 10, 100);
  sink.at = 600_000; // ten minutes later another piece starts with a large first chunk
  progress.work('epoch 20 Experiment B', 6912, 525600);
  assert.equal(sink.lines.at(-1), 'epoch 20 Experiment B 6912/525600, ? left');
  sink.at += 10_000; // 73 688 more units in 10 s: 7368.8 units/s, 60.9 s for the remaining 444 000
  progress.work('epoch 20 Experiment B', 80600, 525600);
  assert.equal(sink.lines.at(-1), 'epoch 20 Experiment B 80600/525600, 1:00 left');
});

test('step progress: no rate until a second report of the epoch, then steps over elapsed time', () => {
  const sink = fakeSink();
  const progress = makeProgress({ quiet: false, interval: 1, sink });
  sink.at = 1_000;
  progress.step('process1', 1, 2, 1, 235, 2.3636);
  assert.equal(sink.lines.at(-1), 'process1 epoch 1/2 step 1/235 loss 2.3636 ? steps/s, ? left');
  sink.at += 2_000; // 20 steps in 2 s: 10 steps/s; 214 steps of this epoch and 235 of the next
  progress.step('process1', 1, 2, 21, 235, 0.5);
  assert.equal(
    sink.lines.at(-1),
    'process1 epoch 1/2 step 21/235 loss 0.5000 10.0 steps/s, 0:45 left',
  );
});

test('quiet progress writes nothing', () => {
  const sink = fakeSink();
  const progress = makeProgress({ quiet: true, sink });
  progress.work('x', 1, 2);
  progress.line('y');
  assert.deepEqual(sink.lines, []);
});
