"""An independent reader of TensorBoard event files, for gradscope's tests.

TFRecord framing checked with a CRC-32C written here (not gradscope's), and the Event,
Summary and HistogramProto messages built with python's google.protobuf from the field
numbers of TensorBoard's event.proto and summary.proto. Reads each file given up to its
first incomplete or corrupt record and prints one JSON object per file:
{"file", "records": [...], "trailing": bytes left unread}.
"""
import json
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool

try:
    from google.protobuf.message_factory import GetMessageClass

    def message_class(descriptor):
        return GetMessageClass(descriptor)
except ImportError:  # protobuf < 4
    from google.protobuf import message_factory

    _factory = message_factory.MessageFactory()

    def message_class(descriptor):
        return _factory.GetPrototype(descriptor)


F = descriptor_pb2.FieldDescriptorProto


def build():
    fd = descriptor_pb2.FileDescriptorProto(name="tb_test.proto", package="tensorboard", syntax="proto3")

    def message(name, fields):
        m = fd.message_type.add(name=name)
        for fname, number, ftype, label, type_name in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    message("HistogramProto", [
        ("min", 1, F.TYPE_DOUBLE, opt, None),
        ("max", 2, F.TYPE_DOUBLE, opt, None),
        ("num", 3, F.TYPE_DOUBLE, opt, None),
        ("sum", 4, F.TYPE_DOUBLE, opt, None),
        ("sum_squares", 5, F.TYPE_DOUBLE, opt, None),
        ("bucket_limit", 6, F.TYPE_DOUBLE, rep, None),
        ("bucket", 7, F.TYPE_DOUBLE, rep, None),
    ])
    summary = fd.message_type.add(name="Summary")
    value = summary.nested_type.add(name="Value")
    value.oneof_decl.add(name="value")
    value.field.add(name="tag", number=1, type=F.TYPE_STRING, label=opt)
    value.field.add(name="simple_value", number=2, type=F.TYPE_FLOAT, label=opt, oneof_index=0)
    value.field.add(name="histo", number=5, type=F.TYPE_MESSAGE, label=opt,
                    type_name=".tensorboard.HistogramProto", oneof_index=0)
    summary.field.add(name="value", number=1, type=F.TYPE_MESSAGE, label=rep,
                      type_name=".tensorboard.Summary.Value")
    event = message("Event", [
        ("wall_time", 1, F.TYPE_DOUBLE, opt, None),
        ("step", 2, F.TYPE_INT64, opt, None),
    ])
    event.oneof_decl.add(name="what")
    event.field.add(name="file_version", number=3, type=F.TYPE_STRING, label=opt, oneof_index=0)
    event.field.add(name="summary", number=5, type=F.TYPE_MESSAGE, label=opt,
                    type_name=".tensorboard.Summary", oneof_index=0)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_class(pool.FindMessageTypeByName("tensorboard.Event"))


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read(path, Event):
    data = open(path, "rb").read()
    at, records = 0, []
    while at + 12 <= len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if length_crc != masked(header) or at + 12 + length + 4 > len(data):
            break
        body = data[at + 12:at + 12 + length]
        (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if body_crc != masked(body):
            break
        e = Event()
        e.ParseFromString(body)
        # the bytes python's protobuf would write for the same message (packed repeated doubles)
        r = {"wall_time": e.wall_time, "step": e.step, "canonical": e.SerializeToString() == body}
        if e.HasField("file_version"):
            r["file_version"] = e.file_version
        if e.HasField("summary"):
            values = []
            for v in e.summary.value:
                if v.HasField("histo"):
                    h = v.histo
                    values.append({"tag": v.tag, "histo": {
                        "min": h.min, "max": h.max, "num": h.num, "sum": h.sum,
                        "sum_squares": h.sum_squares, "bucket_limit": list(h.bucket_limit),
                        "bucket": list(h.bucket)}})
                else:
                    values.append({"tag": v.tag, "simple_value": v.simple_value})
            r["values"] = values
        records.append(r)
        at += 12 + length + 4
    return {"file": path, "records": records, "trailing": len(data) - at}




if __name__ == "__main__":
    Event = build()
    for p in sys.argv[1:]:
        print(json.dumps(read(p, Event)))
