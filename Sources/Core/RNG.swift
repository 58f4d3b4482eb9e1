/// A tiny seeded generator (SplitMix64) passed explicitly wherever randomness is needed.
///
/// SplitMix64 (Steele, Lea and Flood 2014) has a 64-bit state and passes BigCrush; it is the
/// generator swift-argument-parser's `roll` example uses. Same seed => same stream, on every machine.
public struct RNG: RandomNumberGenerator, Sendable, Equatable, Codable {
  public var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// An independent generator for a sub-task, derived from this one's next output.
  public mutating func split() -> RNG { RNG(seed: next()) }

  /// Uniform in [0, 1) with 24 random bits, so every value is exactly representable.
  public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

  /// Uniform in [low, high).
  public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

  /// Uniform in [0, 1) with 53 random bits.
  public mutating func uniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Standard normal via Box-Muller (one value per call; the pair's second half is dropped so
  /// the generator has no hidden state beyond `state`).
  public mutating func normal() -> Float { Float(normalDouble()) }

  public mutating func normalDouble() -> Double {
    let u1 = 1.0 - uniformDouble()  // (0, 1]: log is finite
    let u2 = uniformDouble()
    return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
  }

  /// Uniform integer in 0..<n, unbiased (rejection on the low end, Lemire 2019).
  public mutating func int(below n: Int) -> Int {
    precondition(n > 0, "int(below:) needs n > 0")
    let bound = UInt64(n)
    var product = next().multipliedFullWidth(by: bound)
    if product.low < bound {
      let threshold = (0 &- bound) % bound
      while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
    }
    return Int(product.high)
  }

  /// True with probability p.
  public mutating func bernoulli(_ p: Double) -> Bool { uniformDouble() < p }

  /// Fisher-Yates shuffle of `array` in place.
  public mutating func shuffle<T>(_ array: inout [T]) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      array.swapAt(i, int(below: i + 1))
    }
  }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
#endif
