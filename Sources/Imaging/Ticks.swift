import Foundation

/// Axis tick positions at round numbers and their labels.
public enum Ticks {
  /// Ticks inside lo...hi spaced 1, 2 or 5 x 10^k apart: the finest such spacing that gives at
  /// most `maxCount` ticks. Values are exact decimals (0.3, not 0.30000000000000004).
  public static func nice(_ lo: Double, _ hi: Double, maxCount: Int = 7) -> [Double] {
    guard lo.isFinite, hi.isFinite, hi > lo, (hi - lo).isFinite, maxCount >= 1 else {
      return lo.isFinite && lo == hi ? [lo] : []
    }
    var k = Int(log10((hi - lo) / Double(maxCount)).rounded(.down)) - 1
    while true {
      for m in [1.0, 2.0, 5.0] {
        let step = decimal(m, exponent: k)
        let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
        if last - first + 1 <= Double(maxCount) {
          guard first <= last else { return [] }
          // An integer over a power of ten, so decimal values come out exactly.
          return stride(from: first, through: last, by: 1).map { i in
            let v = decimal(i * m, exponent: k)
            return v == 0 ? 0 : v  // no negative zero
          }
        }
      }
      k += 1
    }
  }

  /// Ticks for a logarithmic axis over lo...hi (both > 0): the powers of ten inside the range
  /// (every second, third, ... one when there are more than `maxCount`), or 1, 2, 5 x 10^k when
  /// fewer than three powers of ten fall inside.
  public static func logarithmic(_ lo: Double, _ hi: Double, maxCount: Int = 7) -> [Double] {
    guard lo > 0, hi > lo, lo.isFinite, hi.isFinite, maxCount >= 1 else { return [] }
    let first = Int((log10(lo) - 1e-9).rounded(.up)), last = Int((log10(hi) + 1e-9).rounded(.down))
    if last - first + 1 >= 3 {
      let every = (last - first + maxCount) / maxCount
      return stride(from: first, through: last, by: every).map { decimal(1, exponent: $0) }
    }
    var ticks = [Double]()
    for k in (first - 1)...(last + 1) {
      for m in [1.0, 2.0, 5.0] {
        let v = decimal(m, exponent: k)
        if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { ticks.append(v) }
      }
    }
    return ticks
  }

  /// Labels for evenly spaced ticks (from `nice`): as many digits as the spacing needs, or the
  /// "1.5e6" style when values reach 1e6 or the spacing is below 1e-4.
  public static func labels(_ ticks: [Double]) -> [String] {
    let step = ticks.count >= 2 ? abs(ticks[1] - ticks[0]) : abs(ticks.first ?? 1)
    // The exponent of the step's last significant digit (5 for 1.5e6, -2 for 0.25).
    var k = step > 0 && step.isFinite ? Int((log10(step) + 1e-9).rounded(.down)) : 0
    let top = k
    while k > top - 6 {
      let digits = step / decimal(1, exponent: k)
      if abs(digits - digits.rounded()) <= 1e-6 * digits { break }
      k -= 1
    }
    let scientific = (ticks.map(abs).max() ?? 0) >= 1e6 || (step > 0 && step < 1e-4)
    return ticks.map { format($0, exponent: k, scientific: scientific) }
  }

  /// Labels for ticks from `logarithmic`: plain decimals from 0.001 to 99999, else "1e-5" style.
  public static func logLabels(_ ticks: [Double]) -> [String] {
    ticks.map { v in
      guard v > 0 && v.isFinite else { return format(v, exponent: 0, scientific: false) }
      return format(v, exponent: Int((log10(v) + 1e-9).rounded(.down)), scientific: v < 1e-3 || v >= 1e5)
    }
  }

  /// mantissa x 10^exponent, dividing by an exact power of ten for negative exponents.
  static func decimal(_ mantissa: Double, exponent: Int) -> Double {
    exponent >= 0 ? mantissa * pow(10, Double(exponent)) : mantissa / pow(10, Double(-exponent))
  }

  /// `v` written down to the digit of 10^exponent; scientific is "<mantissa>e<power>".
  static func format(_ v: Double, exponent: Int, scientific: Bool) -> String {
    guard v.isFinite else { return v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf") }
    if !scientific { return String(format: "%.\(max(0, -exponent))f", v) }
    if v == 0 { return "0" }
    var e = Int((log10(abs(v)) + 1e-9).rounded(.down))
    var mantissa = v / decimal(1, exponent: e)
    if abs(mantissa) >= 9.9999995 { mantissa /= 10; e += 1 }
    var text = String(format: "%.\(min(max(e - exponent, 0), 6))f", mantissa)
    if text.contains(".") {
      while text.hasSuffix("0") { text.removeLast() }
      if text.hasSuffix(".") { text.removeLast() }
    }
    return "\(text)e\(e)"
  }
}
