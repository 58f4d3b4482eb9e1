import Core
import Foundation

/// TensorBoard event files: the scalars of metrics.jsonl, written as training goes so
/// `tensorboard --logdir RUNS` shows live curves.
///
/// A file is a sequence of records: u64 length (little-endian), u32 masked CRC-32C of those 8 bytes,
/// the payload, u32 masked CRC-32C of the payload. Each payload is a serialized `tensorflow.Event`
/// protocol buffer; the first holds `file_version = "brain.Event:2"`, the others a `Summary` of
/// scalar values (`tag`, `simple_value`) at a step. The few fields used are encoded by hand.
public enum EventFile {
  /// The folder inside a run folder.
  public static let folder = "tb"
  /// TensorBoard reads any file whose name contains "tfevents"; the session number keeps them in order.
  public static func fileName(session: Int) -> String {
    let digits = String(session)
    return "events.out.tfevents." + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".lam"
  }

  /// One decoded event: what a reader needs to check the files against metrics.jsonl.
  public struct Event: Equatable, Sendable {
    public var wallTime: Double
    public var step: Int
    /// Set on the first event of a file.
    public var fileVersion: String?
    /// Set on an event that marks a restart: TensorBoard drops points at or after this step seen before it.
    public var sessionStart = false
    public var scalars: [(tag: String, value: Float)] = []

    public init(wallTime: Double, step: Int, fileVersion: String? = nil, sessionStart: Bool = false,
                scalars: [(tag: String, value: Float)] = []) {
      self.wallTime = wallTime
      self.step = step
      self.fileVersion = fileVersion
      self.sessionStart = sessionStart
      self.scalars = scalars
    }

    public static func == (a: Event, b: Event) -> Bool {
      a.wallTime == b.wallTime && a.step == b.step && a.fileVersion == b.fileVersion && a.sessionStart == b.sessionStart
        && a.scalars.map(\.tag) == b.scalars.map(\.tag) && a.scalars.map(\.value) == b.scalars.map(\.value)
    }
  }

  // MARK: Encoding

  /// The serialized `Event` message.
  public static func encode(_ event: Event) -> [UInt8] {
    var out: [UInt8] = []
    out.append(0x09)  // field 1, wall_time: double
    appendLittleEndian(event.wallTime.bitPattern, to: &out)
    if event.step != 0 {
      out.append(0x10)  // field 2, step: int64 varint
      appendVarint(UInt64(bitPattern: Int64(event.step)), to: &out)
    }
    if let version = event.fileVersion {
      appendBytes(field: 3, Array(version.utf8), to: &out)
    }
    if !event.scalars.isEmpty {
      var summary: [UInt8] = []
      for (tag, value) in event.scalars {
        var v: [UInt8] = []
        appendBytes(field: 1, Array(tag.utf8), to: &v)  // Value.tag
        v.append(0x15)  // field 2, simple_value: float
        appendLittleEndian(value.bitPattern, to: &v)
        appendBytes(field: 1, v, to: &summary)  // Summary.value
      }
      appendBytes(field: 5, summary, to: &out)
    }
    if event.sessionStart {
      appendBytes(field: 7, [0x08, 0x01], to: &out)  // session_log { status: START }
    }
    return out
  }

  /// The framed record of one payload.
  public static func record(_ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(payload.count + 16)
    appendLittleEndian(UInt64(payload.count), to: &out)
    appendLittleEndian(maskedCRC(out), to: &out)
    out += payload
    appendLittleEndian(maskedCRC(payload), to: &out)
    return out
  }

  /// The metrics.jsonl line as TensorBoard scalars, tags grouped as TensorBoard shows them.
  public static func scalars(_ r: MetricsRecord) -> [(tag: String, value: Float)] {
    var s: [(tag: String, value: Float)] = [
      ("train/loss", r.loss), ("train/recon", r.recon), ("train/bottleneck", r.bottleneck), ("train/label", r.label),
      ("train/grad_norm", r.gradNorm), ("speed/samples_per_s", Float(r.samplesPerS)),
    ]
    if let lr = r.lr { s.append(("train/lr", lr)) }
    if let codes = r.codesUsed { s.append(("vq/codes_used", Float(codes))) }
    if let perplexity = r.perplexity { s.append(("vq/perplexity", perplexity)) }
    if let val = r.valRecon { s.append(("val/recon", val)) }
    return s
  }

  // MARK: Decoding

  /// The events of a file, each with the byte range of its record, up to the first record that is torn
  /// (a process killed mid-write) or damaged; `complete` says whether the whole file was read.
  public static func read(_ path: String) throws -> (events: [(event: Event, record: Range<Int>)], bytes: [UInt8], complete: Bool) {
    guard let data = FileManager.default.contents(atPath: path) else { throw LamError("\(path): cannot read the event file") }
    let bytes = [UInt8](data)
    var events: [(event: Event, record: Range<Int>)] = [], at = 0
    while at + 16 <= bytes.count {
      let length = loadLittleEndian(UInt64.self, bytes, at)
      guard loadLittleEndian(UInt32.self, bytes, at + 8) == maskedCRC(Array(bytes[at..<at + 8])),
            length <= UInt64(bytes.count - at - 16) else { break }
      let end = at + 12 + Int(length)
      let payload = Array(bytes[at + 12..<end])
      guard loadLittleEndian(UInt32.self, bytes, end) == maskedCRC(payload),
            let event = try? decode(payload, file: path) else { break }
      events.append((event, at..<end + 4))
      at = end + 4
    }
    return (events, bytes, at == bytes.count)
  }

  /// Decodes the fields of `Event` that `encode` writes; others are skipped.
  static func decode(_ bytes: [UInt8], file: String) throws -> Event {
    var event = Event(wallTime: 0, step: 0)
    var reader = ProtoReader(bytes: bytes[...], file: file)
    while let (field, wire) = try reader.key() {
      switch (field, wire) {
      case (1, 1): event.wallTime = Double(bitPattern: try reader.fixed64())
      case (2, 0): event.step = Int(Int64(bitPattern: try reader.varint()))
      case (3, 2): event.fileVersion = String(decoding: try reader.bytes(), as: UTF8.self)
      case (5, 2):
        var summary = ProtoReader(bytes: try reader.bytes(), file: file)
        while let (f, w) = try summary.key() {
          guard f == 1, w == 2 else { try summary.skip(w); continue }
          var value = ProtoReader(bytes: try summary.bytes(), file: file)
          var tag = "", number: Float = .nan
          while let (vf, vw) = try value.key() {
            switch (vf, vw) {
            case (1, 2): tag = String(decoding: try value.bytes(), as: UTF8.self)
            case (2, 5): number = Float(bitPattern: try value.fixed32())
            default: try value.skip(vw)
            }
          }
          event.scalars.append((tag, number))
        }
      case (7, 2):
        var log = ProtoReader(bytes: try reader.bytes(), file: file)
        while let (f, w) = try log.key() {
          if f == 1, w == 0 { event.sessionStart = try log.varint() == 1 } else { try log.skip(w) }
        }
      default: try reader.skip(wire)
      }
    }
    return event
  }

  // MARK: CRC-32C

  static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// CRC-32C (Castagnoli), as TFRecord uses.
  public static func crc32c(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  /// TFRecord's masking, so a CRC of data that holds CRCs stays well distributed.
  public static func maskedCRC(_ bytes: [UInt8]) -> UInt32 {
    let c = crc32c(bytes)
    return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
  }

  // MARK: Bytes

  static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
  }

  static func loadLittleEndian<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ at: Int) -> T {
    var v: T = 0
    for i in 0..<MemoryLayout<T>.size { v |= T(bytes[at + i]) << (8 * i) }
    return v
  }

  static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
      out.append(UInt8(v & 0x7F) | 0x80)
      v >>= 7
    }
    out.append(UInt8(v))
  }

  static func appendBytes(field: Int, _ bytes: [UInt8], to out: inout [UInt8]) {
    out.append(UInt8(field << 3 | 2))
    appendVarint(UInt64(bytes.count), to: &out)
    out += bytes
  }
}

/// Reads protocol-buffer fields from bytes; a truncated or malformed message is an error naming the file.
struct ProtoReader {
  var rest: ArraySlice<UInt8>
  let file: String

  init(bytes: ArraySlice<UInt8>, file: String) {
    rest = bytes
    self.file = file
  }

  mutating func key() throws -> (Int, Int)? {
    if rest.isEmpty { return nil }
    let k = try varint()
    return (Int(k >> 3), Int(k & 7))
  }

  mutating func varint() throws -> UInt64 {
    var v: UInt64 = 0, shift: UInt64 = 0
    while let b = rest.first, shift < 64 {
      rest = rest.dropFirst()
      v |= UInt64(b & 0x7F) << shift
      if b < 0x80 { return v }
      shift += 7
    }
    throw LamError("\(file): a malformed event (bad varint)")
  }

  mutating func fixed64() throws -> UInt64 { try fixed(8) }
  mutating func fixed32() throws -> UInt32 { UInt32(try fixed(4)) }

  private mutating func fixed(_ n: Int) throws -> UInt64 {
    guard rest.count >= n else { throw LamError("\(file): a malformed event (truncated field)") }
    var v: UInt64 = 0
    for (i, b) in rest.prefix(n).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
    rest = rest.dropFirst(n)
    return v
  }

  mutating func bytes() throws -> ArraySlice<UInt8> {
    let n = try varint()
    guard n <= UInt64(rest.count) else { throw LamError("\(file): a malformed event (field longer than the record)") }
    let out = rest.prefix(Int(n))
    rest = rest.dropFirst(Int(n))
    return out
  }

  mutating func skip(_ wire: Int) throws {
    switch wire {
    case 0: _ = try varint()
    case 1: _ = try fixed64()
    case 2: _ = try bytes()
    case 5: _ = try fixed32()
    default: throw LamError("\(file): a malformed event (wire type \(wire))")
    }
  }
}
