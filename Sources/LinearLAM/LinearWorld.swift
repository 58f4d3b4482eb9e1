import Core
import NN

/// One simulated world: the fixed matrices W_a, W_b and P drawn from a seed, and transitions
///
///     o ~ N(0, I),  a = (1 - chi) n + chi P o  (n ~ N(0, I)),  q = W_a a,
///     eps = 0 | sigma N(0, I) | sigma U(-sqrt 3, sqrt 3)^d_o | sigma W_b b  (b ~ N(0, I)),  o' = o + q + eps.
///
/// W_a and W_b are drawn together as one matrix with orthonormal columns, so the action and the
/// other agents move the observation along orthogonal subspaces and "which one the latent holds"
/// is a clean question.
public struct LinearWorld {
  public private(set) var config: LinearConfig
  /// W_a [d_o, d_a], orthonormal columns.
  public let actionBasis: [Double]
  /// W_b [d_o, d_b], orthonormal columns orthogonal to W_a.
  public let agentBasis: [Double]
  /// P [d_a, d_o], orthonormal rows.
  public let policy: [Double]

  private let wa: Tensor  // [d_o, d_a]
  private let wb: Tensor  // [d_o, d_b]
  private let p: Tensor  // [d_a, d_o]

  public init(_ config: LinearConfig, rng: inout RNG) {
    self.config = config
    let (dO, dA, dB) = (config.observationDim, config.actionDim, config.agentDim)
    // A Gaussian matrix's orthonormalized columns span a uniformly random subspace.
    let gaussian = (0..<(dO * (dA + dB))).map { _ in rng.normalDouble() }  // [d_o, d_a + d_b]
    let joint = orthonormalBasis(gaussian, rows: dO, columns: dA + dB).basis  // [d_o, d_a + d_b]
    var wa = [Double](repeating: 0, count: dO * dA)
    var wb = [Double](repeating: 0, count: dO * dB)
    for i in 0..<dO {
      for j in 0..<dA { wa[i * dA + j] = joint[i * (dA + dB) + j] }
      for j in 0..<dB { wb[i * dB + j] = joint[i * (dA + dB) + dA + j] }
    }
    let policyColumns = orthonormalBasis((0..<(dO * dA)).map { _ in rng.normalDouble() }, rows: dO, columns: dA).basis
    var p = [Double](repeating: 0, count: dA * dO)  // transpose of [d_o, d_a]
    for i in 0..<dO {
      for j in 0..<dA { p[j * dO + i] = policyColumns[i * dA + j] }
    }
    actionBasis = wa
    agentBasis = wb
    policy = p
    self.wa = Tensor(shape: [dO, dA], values: wa.map(Float.init))
    self.wb = Tensor(shape: [dO, dB], values: wb.map(Float.init))
    self.p = Tensor(shape: [dA, dO], values: p.map(Float.init))
  }

  /// Draws `n` independent transitions.
  public func sample(_ n: Int, rng: inout RNG) -> Transitions {
    let t = Transitions(count: n, config)
    fill(t, rng: &rng)
    return t
  }

  /// Overwrites every transition of `t` with a fresh draw.
  public func fill(_ t: Transitions, rng: inout RNG) {
    let (n, dO, dA, dB) = (t.count, config.observationDim, config.actionDim, config.agentDim)
    let chi = Float(config.chi), sigma = Float(config.sigma)
    let (o, next, action, noise, energy) = (t.observation, t.next, t.action, t.noise, t.noiseEnergy)
    fillNormal(o.data, count: o.count, rng: &rng)
    fillNormal(action.data, count: action.count, scale: 1 - chi, rng: &rng)
    if chi > 0 {
      // a += chi o P^T: [N, d_o] x [d_o, d_a]
      gemm(transB: true, m: n, n: dA, k: dO, alpha: chi, a: o.data, b: p.data, beta: 1, c: action.data)
    }
    next.copy(from: o)
    // o' += a W_a^T: [N, d_a] x [d_a, d_o]
    gemm(transB: true, m: n, n: dO, k: dA, a: action.data, b: wa.data, beta: 1, c: next.data)
    switch config.setting {
    case .none:
      energy.zero()
    case .iid, .uniform:
      // noise = eps [N, d_o]
      drawNoise(noise.data, count: noise.count, scale: sigma, rng: &rng)
      for i in 0..<noise.count { next.data[i] += noise.data[i] }
      for r in 0..<n { energy.data[r] = sumOfSquares(noise.data + r * dO, dO) }
    case .agents:
      // noise = b [N, d_b]
      drawNoise(noise.data, count: noise.count, rng: &rng)
      // o' += sigma b W_b^T: [N, d_b] x [d_b, d_o]
      gemm(transB: true, m: n, n: dO, k: dB, alpha: sigma, a: noise.data, b: wb.data, beta: 1, c: next.data)
      // W_b has orthonormal columns, so ||sigma W_b b||^2 = sigma^2 ||b||^2.
      for r in 0..<n { energy.data[r] = sigma * sigma * sumOfSquares(noise.data + r * dB, dB) }
    }
  }

  /// Data cleaning's cut: the ||eps||^2 below which a fraction 1 - `fraction` of transitions fall,
  /// estimated from `pilot` draws of the noise alone, and eps's per-direction variance among the
  /// kept ones. The kept noise stays isotropic within its subspace (the cut depends on ||eps|| only),
  /// so that one variance describes it.
  public func cleaningCut(dropping fraction: Double, pilot: Int = 65536, rng: inout RNG) -> (threshold: Float, keptVariance: Double) {
    let sigma = Float(config.sigma)
    let width = config.setting == .agents ? config.agentDim : config.observationDim
    guard config.setting != .none, fraction > 0 else { return (.infinity, config.setting == .none ? 0 : config.sigma * config.sigma) }
    let draws = Tensor([pilot, width])  // [M, width] eps / sigma (iid, uniform) or b (agents)
    drawNoise(draws.data, count: draws.count, rng: &rng)
    let energies = (0..<pilot).map { sigma * sigma * sumOfSquares(draws.data + $0 * width, width) }.sorted()
    let keep = max(1, Int((Double(pilot) * (1 - fraction)).rounded()))
    let kept = energies[..<keep]
    return (kept.last!, kept.reduce(0.0) { $0 + Double($1) } / Double(keep * width))
  }

  /// The same world (W_a, W_b, P) with actions drawn independently of the observation (chi = 0):
  /// the random-action evaluation of a model trained under an observation-dependent policy.
  public func withRandomActions() -> LinearWorld {
    var world = self
    world.config.chi = 0
    return world
  }

  /// Sets eps to 0 in every transition of `t` (o' = o + q), keeping o and a: the noise-free
  /// evaluation. The noise target and ||eps||^2 become 0 too.
  public func removeNoise(from t: Transitions) {
    let (n, dO, dB) = (t.count, config.observationDim, config.agentDim)
    let (next, noise) = (t.next, t.noise)
    switch config.setting {
    case .none:
      break
    case .iid, .uniform:
      for i in 0..<next.count { next.data[i] -= noise.data[i] }
    case .agents:
      // o' -= sigma b W_b^T: [N, d_b] x [d_b, d_o]
      gemm(transB: true, m: n, n: dO, k: dB, alpha: -Float(config.sigma), a: noise.data, b: wb.data, beta: 1, c: next.data)
    }
    noise.zero()
    t.noiseEnergy.zero()
  }

  /// Standard noise draws (unit variance per entry) of this world's distribution: uniform for the
  /// `uniform` setting, normal otherwise.
  private func drawNoise(_ p: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1, rng: inout RNG) {
    if config.setting == .uniform {
      fillUniform(p, count: count, scale: scale, rng: &rng)
    } else {
      fillNormal(p, count: count, scale: scale, rng: &rng)
    }
  }

  /// Overwrites `t` with fresh transitions whose ||eps||^2 is at most `threshold` (data cleaning),
  /// drawing batches into `scratch` (same shapes as `t`) and keeping the rows below the cut.
  public func fillCleaned(_ t: Transitions, threshold: Float, scratch: Transitions, rng: inout RNG) {
    var filled = 0
    while filled < t.count {
      fill(scratch, rng: &rng)
      for r in 0..<scratch.count where filled < t.count && scratch.noiseEnergy.data[r] <= threshold {
        t.copyRow(filled, from: scratch, r)
        filled += 1
      }
    }
  }

  /// The covariance [d_o, d_o] of the change the latent has to carry, with eps's per-direction
  /// variance `noiseVariance`. With learnable A, the part of q predictable from o (chi W_a P o) is
  /// routed through A, so only (1 - chi) W_a n + eps remains; with A = I the latent must carry all
  /// of q + eps. For chi = 0 both are Cov(q + eps), the matrix of the paper's Prop. 4.1.
  public func changeCovariance(noiseVariance: Double) -> [Double] {
    let (dO, dA, dB) = (config.observationDim, config.actionDim, config.agentDim)
    let chi = config.chi
    let actionScale = (1 - chi) * (1 - chi) + (config.learnA ? 0 : chi * chi)
    var sigma = [Double](repeating: 0, count: dO * dO)  // [d_o, d_o]
    for i in 0..<dO {
      for j in 0..<dO {
        var s = 0.0
        for k in 0..<dA { s += actionBasis[i * dA + k] * actionBasis[j * dA + k] }
        var e = 0.0
        switch config.setting {
        case .none: break
        case .iid, .uniform: e = i == j ? 1 : 0
        case .agents: for k in 0..<dB { e += agentBasis[i * dB + k] * agentBasis[j * dB + k] }
        }
        sigma[i * dO + j] = actionScale * s + noiseVariance * e
      }
    }
    return sigma
  }

  /// What the ideal (PCA) latent compresses, per transition [N, d_o]: o' - o, minus chi W_a P o when
  /// A is learnable (A absorbs that part), matching `changeCovariance`.
  func pcaTarget(_ data: Transitions) -> Tensor {
    let (n, dO, dA) = (data.count, config.observationDim, config.actionDim)
    let y = data.next.clone()  // [N, d_o]
    for i in 0..<y.count { y.data[i] -= data.observation.data[i] }
    if config.learnA && config.chi > 0 {
      let po = Tensor([n, dA])  // [N, d_a] = o P^T
      gemm(transB: true, m: n, n: dA, k: dO, a: data.observation.data, b: p.data, c: po.data)
      // y -= chi (o P^T) W_a^T
      gemm(transB: true, m: n, n: dO, k: dA, alpha: -Float(config.chi), a: po.data, b: wa.data, beta: 1, c: y.data)
    }
    return y
  }
}

@inline(__always)
func sumOfSquares(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
  var s: Float = 0
  for i in 0..<count { s += p[i] * p[i] }
  return s
}
