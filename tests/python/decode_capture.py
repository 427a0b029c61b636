"""Times the official Python parsers on a capture (`tt stream --record`'s format: a 4-byte
big-endian length, then one WebSocket binary message, repeated), for the side-by-side in
`cargo xtask bench stream`.

    python decode_capture.py zerodha CAPTURE    # kiteconnect's KiteTicker._parse_binary
    python decode_capture.py upstox CAPTURE     # upstox-python-sdk's decode_protobuf + MessageToDict

Prints one line: `ticks N seconds S rate R` (ticks a second, best of five passes).
"""

import struct
import sys
import time


def frames(path):
    data = open(path, "rb").read()
    out, offset = [], 0
    while offset + 4 <= len(data):
        (size,) = struct.unpack(">I", data[offset : offset + 4])
        out.append(data[offset + 4 : offset + 4 + size])
        offset += 4 + size
    return out


def kite_parser():
    from kiteconnect import KiteTicker

    ticker = KiteTicker("bench", "bench")

    def parse(frame):
        return len(ticker._parse_binary(frame))

    return parse


def upstox_parser():
    from google.protobuf import json_format
    from upstox_client.feeder.proto import MarketDataFeedV3_pb2

    def parse(frame):
        # What MarketDataStreamerV3 does with each message: decode_protobuf, then MessageToDict.
        response = MarketDataFeedV3_pb2.FeedResponse()
        response.ParseFromString(frame)
        return len(json_format.MessageToDict(response).get("feeds", {}))

    return parse


def main():
    broker, path = sys.argv[1], sys.argv[2]
    parse = kite_parser() if broker == "zerodha" else upstox_parser()
    messages = frames(path)
    best, ticks = None, 0
    for _ in range(5):
        started = time.perf_counter()
        ticks = sum(parse(m) for m in messages)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(f"ticks {ticks} seconds {best:.6f} rate {ticks / best:.0f}")


if __name__ == "__main__":
    main()
