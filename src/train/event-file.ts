/**
 * TensorBoard event files: TFRecord framing around serialised `tensorboard.Event`
 * messages, as TensorFlow, PyTorch's SummaryWriter and TensorBoard itself read them.
 *
 *   record = uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes
 *          | data | uint32 masked CRC-32C of data
 *   mask(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8   (mod 2^32)
 *
 * The first record of a file is an Event with file_version "brain.Event:2"; the file is
 * named events.out.tfevents.<unix seconds>.<hostname>. Each record is one write(2) on a
 * file opened for appending, then fsync, so a kill leaves at most the last record cut short, and
 * readers (TensorBoard's among them) stop at it with every earlier record intact.
 * Messages are encoded by protobufjs from the field numbers of TensorBoard's
 * event.proto and summary.proto (below), not by hand.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as protobuf from 'protobufjs/light';
// crc-32's CRC-32C (Castagnoli) module: pure JavaScript, no native build
import * as CRC32C from 'crc-32/crc32c';

/** The fields of tensorboard/compat/proto/{event,summary}.proto that gradscope writes. */
const root = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'SummaryValue', id: 1 } },
        },
        SummaryValue: {
          oneofs: { value: { oneof: ['simpleValue', 'histo'] } },
          fields: {
            tag: { type: 'string', id: 1 },
            simpleValue: { type: 'float', id: 2 },
            histo: { type: 'HistogramProto', id: 5 },
          },
        },
        HistogramProto: {
          fields: {
            min: { type: 'double', id: 1 },
            max: { type: 'double', id: 2 },
            num: { type: 'double', id: 3 },
            sum: { type: 'double', id: 4 },
            sumSquares: { type: 'double', id: 5 },
            bucketLimit: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
            bucket: { rule: 'repeated', type: 'double', id: 7, options: { packed: true } },
          },
        },
      },
    },
  },
});
const EventType = root.lookupType('tensorboard.Event');

/** TensorBoard's HistogramProto: bucket i counts the values in (bucketLimit[i-1], bucketLimit[i]]. */
export interface HistogramProto {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

export type SummaryValue =
  { tag: string; simpleValue: number } | { tag: string; histo: HistogramProto };

export interface EventMessage {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: SummaryValue[] };
}

export function encodeEvent(event: EventMessage): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

export function decodeEvent(bytes: Uint8Array): EventMessage {
  return EventType.toObject(EventType.decode(bytes), {
    longs: Number,
    defaults: false,
  }) as EventMessage;
}

export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = CRC32C.buf(bytes, 0) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, its masked CRC, the data, its masked CRC. */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The data of every complete record whose CRCs check, up to the first that does not. */
export function readTfRecords(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(bytes.subarray(at, at + 8))) break;
    const length = Number(bytes.readBigUInt64LE(at));
    const end = at + 12 + length + 4;
    if (end > bytes.length) break;
    const data = bytes.subarray(at + 12, at + 12 + length);
    if (bytes.readUInt32LE(at + 12 + length) !== maskedCrc32c(data)) break;
    out.push(data);
    at = end;
  }
  return out;
}

export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

/** The readable events of every event file in `dir`, in file-name order. */
export function readEventDir(dir: string): EventMessage[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(EVENT_FILE_PREFIX))
    .sort()
    .flatMap((n) => readTfRecords(fs.readFileSync(path.join(dir, n))).map(decodeEvent));
}

/**
 * Appends events to a new file in `dir`, chosen at the first write (a resumed run that has
 * nothing new to say leaves no empty file). Never appends to an existing file: one a kill
 * cut short may end in half a record. Each record is appended and fsynced on its own, as
 * metrics.jsonl's lines are, so there is nothing to flush or close.
 */
export class EventFileWriter {
  file: string | undefined;

  constructor(readonly dir: string) {}

  write(event: EventMessage): void {
    const records: Buffer[] = [];
    if (this.file === undefined) {
      fs.mkdirSync(this.dir, { recursive: true });
      const base = `${EVENT_FILE_PREFIX}${Math.floor(Date.now() / 1000)}.${os.hostname()}`;
      let name = base;
      // the same second as an earlier file (a quick resume): a suffix sorts it after that one
      for (let n = 1; fs.existsSync(path.join(this.dir, name)); n++) name = `${base}.${n}`;
      this.file = path.join(this.dir, name);
      records.push(
        tfRecord(encodeEvent({ wallTime: event.wallTime, step: 0, fileVersion: 'brain.Event:2' })),
      );
    }
    records.push(tfRecord(encodeEvent(event)));
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, Buffer.concat(records));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
