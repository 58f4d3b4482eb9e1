import Core

/// Fills `count` floats at `p` with independent draws uniform on [-sqrt(3) scale, sqrt(3) scale):
/// mean 0 and variance scale^2, the same first two moments as `fillNormal` with the same scale,
/// so the `uniform` noise setting differs from `iid` only in the shape of the distribution.
public func fillUniform(_ p: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1, rng: inout RNG) {
  let halfWidth = Float(3).squareRoot() * scale
  for i in 0..<count {
    // 24 random bits give a uniform float in [0, 1) exactly; map it to [-1, 1).
    p[i] = halfWidth * (2 * rng.uniform() - 1)
  }
}
