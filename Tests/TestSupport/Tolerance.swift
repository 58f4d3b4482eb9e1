/// True when a and b agree to `relative` of their larger magnitude, or to `absolute`.
public func isClose(_ a: Double, _ b: Double, relative: Double = 1e-5, absolute: Double = 1e-7) -> Bool {
  if a == b { return true }
  let diff = abs(a - b)
  return diff <= absolute || diff <= relative * max(abs(a), abs(b))
}

public func isClose(_ a: Float, _ b: Float, relative: Float = 1e-5, absolute: Float = 1e-6) -> Bool {
  isClose(Double(a), Double(b), relative: Double(relative), absolute: Double(absolute))
}

/// The largest |a[i] - b[i]| / max(|a[i]|, |b[i]|, floor): one number a test can bound.
public func maxRelativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-3) -> Double {
  precondition(a.count == b.count, "length mismatch \(a.count) vs \(b.count)")
  var worst = 0.0
  for i in a.indices {
    let scale = max(abs(a[i]), abs(b[i]), floor)
    worst = max(worst, abs(a[i] - b[i]) / scale)
  }
  return worst
}

public func maxRelativeError(_ a: [Float], _ b: [Float], floor: Double = 1e-3) -> Double {
  maxRelativeError(a.map(Double.init), b.map(Double.init), floor: floor)
}
