import Core

/// The fuzzer's draws, from Core's seeded SplitMix64: the sequence is fixed, so a (seed, case) pair names the
/// same mutation on every machine.
public struct FuzzRandom {
  private var rng: RNG

  public init(seed: UInt64) { rng = RNG(seed: seed) }

  /// The generator of case `index` of a run with `seed`: a case depends on nothing else, so cases can be
  /// dealt to any number of workers in any order.
  public init(seed: UInt64, case index: Int) {
    var mixer = FuzzRandom(seed: seed ^ 0x6C61_6D2D_6675_7A7A)  // "lam-fuzz"
    let base = mixer.next()
    self.init(seed: base &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
    _ = next()
  }

  public mutating func next() -> UInt64 { rng.next() }

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
