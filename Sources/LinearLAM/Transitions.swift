import NN

/// Simulated transitions (o, a, o') with what the probes and data cleaning need, row-major Float32.
public final class Transitions {
  public let count: Int
  public let observation: Tensor  // [N, d_o]  o
  public let next: Tensor  // [N, d_o]  o' = o + q + eps
  public let action: Tensor  // [N, d_a]  a
  /// The noise probe's target: b for `agents` [N, d_b], eps for `iid` and `uniform` [N, d_o], nothing for `none` [N, 0].
  public let noise: Tensor
  /// ||eps||^2 per transition [N]: the size of the exogenous change that cleaning ranks by.
  public let noiseEnergy: Tensor

  /// Zero-filled storage for `count` transitions of `config`'s shapes.
  public init(count: Int, _ config: LinearConfig) {
    self.count = count
    let noiseWidth: Int
    switch config.setting {
    case .none: noiseWidth = 0
    case .iid, .uniform: noiseWidth = config.observationDim
    case .agents: noiseWidth = config.agentDim
    }
    observation = Tensor([count, config.observationDim])
    next = Tensor([count, config.observationDim])
    action = Tensor([count, config.actionDim])
    noise = Tensor([count, noiseWidth])
    noiseEnergy = Tensor([count])
  }

  /// Copies transition `source` of `from` into row `row`.
  func copyRow(_ row: Int, from other: Transitions, _ source: Int) {
    for (to, from) in [(observation, other.observation), (next, other.next), (action, other.action), (noise, other.noise)] {
      let width = to.rowSize
      (to.data + row * width).update(from: from.data + source * width, count: width)
    }
    noiseEnergy.data[row] = other.noiseEnergy.data[source]
  }

}
