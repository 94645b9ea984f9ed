// Decoding protocol v1 binary frames (docs/protocol.md, "frame (binary format)").

const MAGIC = 0x464b_5450; // "PTKF" (0x50 0x54 0x4b 0x46) read as a little-endian u32
export const ARRAY_ORDER = ["exp", "pose", "shape", "arkit", "vrm", "head", "vertices"];

/** Decode one binary frame: {seq, t, wall, arrays: {name: Float32Array}}; throws if invalid. */
export function decodeBinaryFrame(buffer) {
  const view = new DataView(buffer);
  if (buffer.byteLength < 56 || view.getUint32(0, true) !== MAGIC || view.getUint16(4, true) !== 1) {
    throw new Error("not a protocol v1 binary frame");
  }
  const headerBytes = view.getUint16(6, true);
  const frame = {
    seq: view.getUint32(8, true),
    t: view.getFloat64(12, true),
    wall: view.getFloat64(20, true),
    arrays: {},
  };
  let offset = headerBytes;
  ARRAY_ORDER.forEach((name, i) => {
    const count = view.getUint32(28 + 4 * i, true);
    if (count > 0) frame.arrays[name] = new Float32Array(buffer, offset, count);
    offset += 4 * count;
  });
  if (offset !== buffer.byteLength) throw new Error("frame length does not match its counts");
  return frame;
}
