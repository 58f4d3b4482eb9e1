import Core

/// Where the exogenous change eps in o' = o + q + eps comes from.
public enum NoiseSetting: String, CaseIterable, Codable, Sendable {
  /// eps = 0.
  case none
  /// eps ~ N(0, sigma^2 I) in every observation dimension.
  case iid
  /// eps uniform on [-sqrt(3) sigma, sqrt(3) sigma] in every observation dimension, independently:
  /// the same covariance as `iid` (sigma^2 I), so PCA sees no difference; only the shape differs.
  case uniform
  /// Other agents: eps = sigma W_b b with b ~ N(0, I) in R^d_b and W_b orthonormal columns.
  case agents

  /// Parses a `--setting` value; "all" is the CLI's business, not a setting.
  public init(parsing text: String) throws {
    guard let setting = NoiseSetting(rawValue: text) else {
      throw LamError("--setting: expected one of none, iid, uniform, agents, all; got '\(text)'")
    }
    self = setting
  }
}

/// What the probes read the latent from.
public enum ProbeInput: String, CaseIterable, Codable, Sendable {
  /// The latent z itself.
  case z
  /// The pseudo latent o_hat' - o in span(B) coordinates: z + B^+ (A - I) o. It drops the part of z
  /// that A cancels (an o-leak that costs nothing in the loss); equal to z when A = I.
  case pseudo

  public init(parsing text: String) throws {
    guard let input = ProbeInput(rawValue: text) else {
      throw LamError("--probe: expected one of z, pseudo; got '\(text)'")
    }
    self = input
  }
}

/// Everything one linear-LAM run depends on: data, model, training, remedies and measurement.
/// Field names follow the paper (d_o, d_a, d_b, d_z, sigma, chi, kappa); defaults are the CLI's.
public struct LinearConfig: Codable, Equatable, Hashable, Sendable {
  // MARK: Data
  public var setting: NoiseSetting = .agents
  /// d_o: observation dimension.
  public var observationDim = 128
  /// d_a: action dimension.
  public var actionDim = 8
  /// d_b: other agents' dimension (used by the `agents` setting).
  public var agentDim = 8
  /// Noise scale: eps = sigma W_b b (agents), or per dimension sigma times a standard normal (iid) or
  /// a zero-mean unit-variance uniform draw (uniform).
  public var sigma = 1.0
  /// Policy: a = (1 - chi) n + chi P o.
  public var chi = 0.0

  // MARK: Model
  /// d_z: latent dimension.
  public var latentDim = 8
  /// False: A is fixed to the identity.
  public var learnA = true
  /// True: D is tied to -C, so z = C (o - o').
  public var tieD = false

  // MARK: Training
  public var batchSize = 128
  public var steps = 3000
  /// Adam's peak learning rate; it decays to zero along a cosine over the run.
  public var learningRate = 0.01
  public var seed: UInt64 = 0

  // MARK: Remedies
  /// Augmentation scale: k1, k2 ~ N(0, kappa^2 I); 0 turns it off.
  public var kappa = 0.0
  /// Probability that a training transition's action label is given to the linear head z -> a.
  public var labelFraction = 0.0
  /// Weight of the action head's MSE against the reconstruction MSE.
  public var labelWeight = 1.0
  /// Fraction of transitions with the largest exogenous change ||eps|| dropped from the training data.
  public var cleanFraction = 0.0

  // MARK: Measurement
  /// What the probes read.
  public var probe = ProbeInput.pseudo
  /// Fresh transitions the probes are fitted on.
  public var probeTrainSize = 16384
  /// Fresh transitions the probes are evaluated on.
  public var probeEvalSize = 32768
  /// Probes are fitted and evaluated on transitions with eps set to 0 (training still sees the noise),
  /// as the paper evaluates its i.i.d.-noise figure; noise MSE is then 1 by definition.
  public var evalNoiseFree = false
  /// The evaluation sample's actions are drawn independently of o (chi = 0) whatever chi training
  /// used, as the paper evaluates its policy result; the probes are still fitted on the training policy.
  public var evalRandomActions = false

  public init() {}

  /// Throws a one-line error naming the flag when a value is out of range.
  public func validate() throws {
    try Check.that(observationDim >= 1, "--do", "an integer >= 1, got \(observationDim)")
    try Check.that(actionDim >= 1, "--da", "an integer >= 1, got \(actionDim)")
    try Check.that(agentDim >= 1, "--db", "an integer >= 1, got \(agentDim)")
    try Check.that(actionDim + agentDim <= observationDim, "--da + --db", "at most --do (\(observationDim)), got \(actionDim + agentDim)")
    try Check.that(latentDim >= 1, "--dz", "an integer >= 1, got \(latentDim)")
    try Check.that(latentDim <= observationDim, "--dz", "at most --do (\(observationDim)), got \(latentDim)")
    try Check.that(sigma >= 0 && sigma.isFinite, "--sigma", "a finite number >= 0, got \(sigma)")
    try Check.that((0...1).contains(chi), "--chi", "a number in [0, 1], got \(chi)")
    try Check.that(batchSize >= 1, "--batch", "an integer >= 1, got \(batchSize)")
    try Check.that(steps >= 1, "--steps", "an integer >= 1, got \(steps)")
    try Check.that(learningRate > 0 && learningRate.isFinite, "--lr", "a finite number > 0, got \(learningRate)")
    try Check.that(kappa >= 0 && kappa.isFinite, "--kappa", "a finite number >= 0, got \(kappa)")
    try Check.that((0...1).contains(labelFraction), "--label-fraction", "a number in [0, 1], got \(labelFraction)")
    try Check.that(labelWeight >= 0 && labelWeight.isFinite, "--label-weight", "a finite number >= 0, got \(labelWeight)")
    try Check.that(cleanFraction >= 0 && cleanFraction < 1, "--clean", "a number in [0, 1), got \(cleanFraction)")
    try Check.that(probeTrainSize >= latentDim + 2, "--probe-train", "at least --dz + 2 (\(latentDim + 2)), got \(probeTrainSize)")
    try Check.that(probeEvalSize >= 2, "--probe-eval", "an integer >= 2, got \(probeEvalSize)")
  }
}
