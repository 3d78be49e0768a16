import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  INT64_DECODE_FAILURES,
  INT64_MAX,
  INT64_MIN,
  Int64RunWriter,
  Int64Writer,
  SerdeError,
  SerdeErrorCode,
  deserializeInt,
  deserializeIntAt,
  serializeInt,
} from "@kafka-fleet/serde";

// Byte literals, not round trips: a round trip alone would pass for any self-consistent wrong encoding.
const vectors: ReadonlyArray<readonly [string, bigint, string]> = [
  ["-2^63", -(2n ** 63n), "8000000000000000"],
  ["-1", -1n, "ffffffffffffffff"],
  ["0", 0n, "0000000000000000"],
  ["1", 1n, "0000000000000001"],
  ["2^53+1", 2n ** 53n + 1n, "0020000000000001"],
  ["2^63-1", 2n ** 63n - 1n, "7fffffffffffffff"],
];

function expectSerdeError(fn: () => unknown, code: SerdeErrorCode): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SerdeError, `expected a SerdeError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

describe("serializeInt", () => {
  for (const [label, value, hex] of vectors) {
    it(`writes ${label} as ${hex}`, () => {
      assert.equal(serializeInt(value).toString("hex"), hex);
    });
  }

  it("accepts safe-integer numbers and writes them like the equal bigint", () => {
    assert.equal(serializeInt(Number.MAX_SAFE_INTEGER).toString("hex"), "001fffffffffffff");
    assert.equal(serializeInt(-42).toString("hex"), "ffffffffffffffd6");
  });

  it("refuses numbers that are not safe integers", () => {
    for (const value of [2 ** 53, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectSerdeError(() => serializeInt(value), SerdeErrorCode.notAnInteger);
    }
  });

  it("refuses bigints outside int64", () => {
    expectSerdeError(() => serializeInt(2n ** 63n), SerdeErrorCode.outOfRange);
    expectSerdeError(() => serializeInt(-(2n ** 63n) - 1n), SerdeErrorCode.outOfRange);
  });
});

describe("Int64Writer", () => {
  it("writes every value as serializeInt does, into the same 8 bytes each time", () => {
    const writer = new Int64Writer();
    const first = writer.write(0n);
    for (const [, value, hex] of vectors) {
      const bytes = writer.write(value);
      assert.equal(bytes.toString("hex"), hex);
      assert.equal(bytes, first, "one buffer, reused");
    }
    assert.equal(writer.write(-42).toString("hex"), "ffffffffffffffd6");
  });

  it("refuses what serializeInt refuses, and leaves the last value's bytes as they were", () => {
    const writer = new Int64Writer();
    writer.write(7n);
    expectSerdeError(() => writer.write(2n ** 63n), SerdeErrorCode.outOfRange);
    expectSerdeError(() => writer.write(1.5), SerdeErrorCode.notAnInteger);
    assert.equal(writer.write(7n).toString("hex"), "0000000000000007");
  });
});

describe("Int64RunWriter", () => {
  /** The run as serializeInt writes each of its values, one after another. */
  const expected = (first: bigint, count: number) =>
    Buffer.concat(Array.from({ length: count }, (_, i) => serializeInt(first + BigInt(i)))).toString("hex");

  it("writes consecutive values as serializeInt writes each, across the carries of the low 32 bits and of the sign", () => {
    const writer = new Int64RunWriter(8);
    for (const first of [
      0n,
      2n ** 32n - 3n,
      -5n,
      -(2n ** 32n) - 2n,
      INT64_MAX - 7n,
      INT64_MIN,
      1234567890123n,
    ]) {
      assert.equal(writer.write(first, 8).toString("hex"), expected(first, 8), `from ${first}`);
    }
    assert.equal(writer.write(-3, 5).toString("hex"), expected(-3n, 5));
  });

  it("returns exactly the run's bytes, in one buffer that each call overwrites", () => {
    const writer = new Int64RunWriter(4);
    const first = writer.write(1n, 4);
    assert.equal(first.length, 32);
    const second = writer.write(10n, 2);
    assert.equal(second.length, 16);
    assert.equal(second.buffer, first.buffer, "one buffer, reused");
    assert.equal(first.subarray(0, 16).toString("hex"), expected(10n, 2));
    assert.equal(writer.write(5n, 0).length, 0);
  });

  it("refuses a run past the int64 range or its capacity, as serializeInt refuses a value", () => {
    const writer = new Int64RunWriter(4);
    expectSerdeError(() => writer.write(INT64_MAX - 2n, 4), SerdeErrorCode.outOfRange);
    expectSerdeError(() => writer.write(INT64_MIN - 1n, 1), SerdeErrorCode.outOfRange);
    expectSerdeError(() => writer.write(0.5, 1), SerdeErrorCode.notAnInteger);
    assert.throws(() => writer.write(0n, 5), RangeError);
    assert.throws(() => new Int64RunWriter(0), RangeError);
  });
});

describe("deserializeInt", () => {
  for (const [label, value, hex] of vectors) {
    it(`reads ${hex} as ${label}`, () => {
      assert.equal(deserializeInt(Buffer.from(hex, "hex")), value);
    });
  }

  it("reads a Uint8Array view at a non-zero offset", () => {
    const backing = new Uint8Array([0xaa, 0, 0, 0, 0, 0, 0, 0, 7, 0xbb]);
    assert.equal(deserializeInt(backing.subarray(1, 9)), 7n);
  });

  for (const length of [0, 7, 9]) {
    it(`refuses ${length} bytes`, () => {
      expectSerdeError(() => deserializeInt(Buffer.alloc(length)), SerdeErrorCode.wrongLength);
    });
  }

  it("refuses null and undefined", () => {
    expectSerdeError(() => deserializeInt(null), SerdeErrorCode.missingValue);
    expectSerdeError(() => deserializeInt(undefined), SerdeErrorCode.missingValue);
  });

  it("lists exactly the codes it throws (a worker's dead-letter reasons)", () => {
    assert.deepEqual(INT64_DECODE_FAILURES, [SerdeErrorCode.missingValue, SerdeErrorCode.wrongLength]);
  });
});

describe("deserializeIntAt", () => {
  // Values packed one after another in a block, as a consumed batch's are, with bytes on either side.
  const block = Buffer.from(`ee${vectors.map(([, , hex]) => hex).join("")}ff`, "hex");

  it("reads each value where it is, as deserializeInt reads it", () => {
    vectors.forEach(([label, value], i) => {
      assert.equal(deserializeIntAt(block, 1 + 8 * i, 8), value, label);
    });
  });

  it("reads blocks that start inside a larger memory, alternating between two blocks", () => {
    // Small Buffers share Node's pool, so a block's bytes rarely start at its memory's start.
    const pool = Buffer.alloc(64, 0xaa);
    const first = pool.subarray(3, 3 + 16);
    const second = pool.subarray(29, 29 + 16);
    first.writeBigInt64BE(-5n, 0);
    first.writeBigInt64BE(7n, 8);
    second.writeBigInt64BE(2n ** 62n, 0);
    second.writeBigInt64BE(-(2n ** 40n), 8);
    assert.deepEqual(
      [
        deserializeIntAt(first, 0, 8),
        deserializeIntAt(second, 0, 8),
        deserializeIntAt(first, 8, 8),
        deserializeIntAt(second, 8, 8),
        deserializeIntAt(block, 1, 8),
      ],
      [-5n, 2n ** 62n, 7n, -(2n ** 40n), -(2n ** 63n)],
    );
  });

  it("refuses what deserializeInt refuses, with the same codes and messages (-1: no value)", () => {
    for (const [length, bytes] of [
      [-1, null],
      [0, Buffer.alloc(0)],
      [7, Buffer.alloc(7)],
      [9, Buffer.alloc(9)],
    ] as const) {
      const expected = (() => {
        try {
          deserializeInt(bytes);
        } catch (error) {
          return error as SerdeError;
        }
        assert.fail("deserializeInt accepted it");
      })();
      assert.throws(
        () => deserializeIntAt(block, 1, length),
        (error: unknown) =>
          error instanceof SerdeError && error.code === expected.code && error.message === expected.message,
        `length ${length}`,
      );
    }
  });
});
