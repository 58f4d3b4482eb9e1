import Foundation

/// SplitMix64: a tiny seeded generator for the fuzzer. TestSupport depends on no module of the package, so
/// it carries its own; the sequence is fixed, so a (seed, case) pair names the same mutation on every machine.
public struct FuzzRandom {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// The generator of case `index` of a run with `seed`: a case depends on nothing else, so cases can be
  /// dealt to any number of workers in any order.
  public init(seed: UInt64, case index: Int) {
    var mixer = FuzzRandom(seed: seed ^ 0x6C61_6D2D_6675_7A7A)  // "lam-fuzz"
    let base = mixer.next()
    self.init(seed: base &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
    _ = next()
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform integer in 0..<n (n > 0).
  public mutating func below(_ n: Int) -> Int {
    precondition(n > 0, "FuzzRandom.below: empty range")
    return Int(next() % UInt64(n))
  }

  /// A uniform integer in `range`.
  public mutating func int(_ range: ClosedRange<Int>) -> Int {
    range.lowerBound + below(range.upperBound - range.lowerBound + 1)
  }

  /// True with probability `p`.
  public mutating func chance(_ p: Double) -> Bool {
    Double(next() >> 11) / Double(1 << 53) < p
  }

  public mutating func pick<T>(_ items: [T]) -> T {
    items[below(items.count)]
  }

  /// One of `items`, each drawn with its weight.
  public mutating func weighted<T>(_ items: [(Int, T)]) -> T {
    var ticket = below(items.reduce(0) { $0 + $1.0 })
    for (weight, item) in items {
      if ticket < weight { return item }
      ticket -= weight
    }
    return items[items.count - 1].1
  }

  public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}
