import Core

/// A quantity a figure can plot, with its CSV column name.
public enum LinearMetric: String, CaseIterable, Sendable {
  case action = "action_mse", obs = "obs_mse", noise = "noise_mse", recon = "recon_mse", llo
  case angle = "angle_deg"
  /// How far training is from the optimum: recon_mse - pca_recon_mse.
  case reconGap = "recon_gap"
  case pcaAction = "pca_action_mse", pcaObs = "pca_obs_mse", pcaNoise = "pca_noise_mse"
  case pcaRecon = "pca_recon_mse", pcaLLO = "pca_llo"

  public func value(in r: LinearResult) -> Double {
    switch self {
    case .action: return r.trained.actionMSE
    case .obs: return r.trained.observationMSE
    case .noise: return r.trained.noiseMSE
    case .recon: return r.trained.reconstructionMSE
    case .llo: return r.trained.llo
    case .angle: return r.largestAngleDegrees
    case .reconGap: return r.trained.reconstructionMSE - r.pca.reconstructionMSE
    case .pcaAction: return r.pca.actionMSE
    case .pcaObs: return r.pca.observationMSE
    case .pcaNoise: return r.pca.noiseMSE
    case .pcaRecon: return r.pca.reconstructionMSE
    case .pcaLLO: return r.pca.llo
    }
  }

  /// The y range a panel of this metric shows unless its data leave it: MSEs on [0, 1.1] and LLO
  /// on [-0.1, 2.1], so a line near 1 is not stretched into a drama of the third decimal.
  public var naturalRange: ClosedRange<Double>? {
    switch self {
    case .action, .obs, .noise, .pcaAction, .pcaObs, .pcaNoise: return 0...1.1
    case .llo, .pcaLLO: return -0.1...2.1
    default: return nil
    }
  }

  public var title: String {
    switch self {
    case .action: return "action MSE"
    case .obs: return "obs MSE"
    case .noise: return "noise MSE"
    case .recon: return "reconstruction MSE"
    case .llo: return "LLO = obs + noise - action"
    case .angle: return "largest angle to PCA (deg)"
    case .reconGap: return "reconstruction MSE above PCA's"
    case .pcaAction: return "PCA action MSE"
    case .pcaObs: return "PCA obs MSE"
    case .pcaNoise: return "PCA noise MSE"
    case .pcaRecon: return "PCA reconstruction MSE"
    case .pcaLLO: return "PCA LLO"
    }
  }
}

/// What distinguishes the lines of a figure: the noise setting, the A variant, the evaluation data
/// or a swept parameter.
public enum SeriesKey: Equatable, Sendable {
  case setting
  case learnA
  case evaluation
  case parameter(SweepKey)

  public func label(_ c: LinearConfig) -> String {
    switch self {
    case .setting: return c.setting.rawValue
    case .learnA: return c.learnA ? "A learned" : "A = I"
    case .evaluation:
      let parts = (c.evalNoiseFree ? ["noise-free"] : []) + (c.evalRandomActions ? ["random-action"] : [])
      return parts.isEmpty ? "policy eval" : parts.joined(separator: " ") + " eval"
    case .parameter(let key): return "\(key.rawValue)=\(formatNumber(key.value(in: c)))"
    }
  }
}

/// A list of runs and how to draw them: one panel per metric, `x` along the axis, one line per
/// distinct `series` label (mean over seeds, with the min-max spread).
public struct LinearPlan: Sendable {
  public var name: String
  public var configs: [LinearConfig]
  public var x: SweepKey
  public var series: [SeriesKey]
  public var panels: [LinearMetric]

  public init(name: String, configs: [LinearConfig], x: SweepKey, series: [SeriesKey], panels: [LinearMetric]) {
    self.name = name
    self.configs = configs
    self.x = x
    self.series = series
    self.panels = panels
  }

  /// The label of the line `config` belongs to.
  public func seriesLabel(_ config: LinearConfig) -> String {
    series.isEmpty ? "runs" : series.map { $0.label(config) }.joined(separator: " ")
  }

  /// A sweep from flags: settings x axes x seeds; x is the first axis, every other varying parameter
  /// makes its own line. The panels are the paper's Figure 3: LLO and its three terms.
  public static func sweep(base: LinearConfig, settings: [NoiseSetting], axes: [SweepAxis], seeds: [UInt64]) throws -> LinearPlan {
    guard let first = axes.first else { throw LamError("--sweep: expected at least one KEY=VALUES") }
    var series: [SeriesKey] = settings.count > 1 ? [.setting] : []
    series += axes.dropFirst().filter { $0.values.count > 1 }.map { .parameter($0.key) }
    return LinearPlan(
      name: "sweep", configs: try expandGrid(base: base, settings: settings, axes: axes, seeds: seeds),
      x: first.key, series: series, panels: [.llo, .action, .obs, .noise])
  }
}

/// The named experiments behind the paper's results 2-6, plus the step-count convergence check.
public enum LinearExperiment: String, CaseIterable, Sendable {
  case variance, augmentation, labels, cleaning, policy, convergence

  /// What the experiment shows, for help text and docs.
  public var summary: String {
    switch self {
    case .variance: return "agents noise, sigma 0.5/1/2, d_z 2..d_a+d_b: the latent takes whatever varies most (result 2)"
    case .augmentation: return "no noise, d_z 2..2 d_a, kappa 0 vs 0.1, probing z: spare dimensions leak o, augmentation removes it (result 3)"
    case .labels: return "agents, sigma 2, d_z d_a/2, d_a, d_a+d_b/2, label fraction 0/1%/5%/10%: an action head denoises (result 4)"
    case .cleaning: return "agents, sigma 1 and 2, d_z = d_a, dropping 0-50% largest-noise transitions (result 5)"
    case .policy: return "agents, sigma 0.5, d_z = d_a, chi 0..1, learnable A vs A = I, evaluated on the policy's and on random actions: observation-dependent actions (result 6)"
    case .convergence: return "none, iid, agents, d_z d_a/2 and d_a+d_b/2, steps 500..40000: metrics against the step budget"
    }
  }

  /// The step count the experiment trains for unless --steps says otherwise: one at which its
  /// numbers have stopped moving (docs/linear-lab.md, Convergence). The label head and augmentation
  /// pull against the reconstruction, and cleaning and policy leave small eigenvalue gaps, so they
  /// need more than the plain settings. Nil for convergence, which sweeps the step count itself.
  public var defaultSteps: Int? {
    switch self {
    case .augmentation, .labels: return 40000
    case .cleaning, .policy: return 12000
    case .variance: return LinearConfig().steps
    case .convergence: return nil
    }
  }

  /// Every parameter the experiment does not set comes from `base` (steps, lr, sizes, dimensions, ...).
  public func plan(base: LinearConfig, seeds: [UInt64]) throws -> LinearPlan {
    func grid(_ b: LinearConfig, _ axes: [SweepAxis], settings: [NoiseSetting] = [.agents]) throws -> [LinearConfig] {
      try expandGrid(base: b, settings: settings, axes: axes, seeds: seeds)
    }
    // Latent sizes follow the world's dimensions (the defaults d_a = d_b = 8 give the paper's values).
    let (dA, dB) = (base.actionDim, base.agentDim)
    let upToBoth = SweepAxis(key: .dz, values: (min(2, dA + dB)...(dA + dB)).map(Double.init))
    let upToTwiceAction = SweepAxis(key: .dz, values: (min(2, 2 * dA)...(2 * dA)).map(Double.init))
    let around = SweepAxis(key: .dz, values: [max(1, dA / 2), dA, dA + max(1, dB / 2)].map(Double.init))
    switch self {
    case .variance:
      return LinearPlan(
        name: rawValue,
        configs: try grid(base, [SweepAxis(key: .sigma, values: [0.5, 1, 2]), upToBoth]),
        x: .dz, series: [.parameter(.sigma)], panels: [.action, .noise, .pcaAction, .pcaNoise])
    case .augmentation:
      // The leak lives in z and A cancels it, so this experiment probes z itself.
      var probeZ = base
      probeZ.probe = .z
      return LinearPlan(
        name: rawValue,
        configs: try grid(probeZ, [SweepAxis(key: .kappa, values: [0, 0.1]), upToTwiceAction], settings: [.none]),
        x: .dz, series: [.parameter(.kappa)], panels: [.obs, .action, .llo, .recon])
    case .labels:
      var b = base
      b.sigma = 2
      return LinearPlan(
        name: rawValue,
        configs: try grid(b, [around, SweepAxis(key: .labelFraction, values: [0, 0.01, 0.05, 0.1])]),
        x: .labelFraction, series: [.parameter(.dz)], panels: [.action, .noise, .obs, .recon])
    case .cleaning:
      var b = base
      b.latentDim = dA
      return LinearPlan(
        name: rawValue,
        configs: try grid(b, [SweepAxis(key: .sigma, values: [1, 2]), SweepAxis(key: .clean, values: [0, 0.1, 0.2, 0.3, 0.4, 0.5])]),
        x: .clean, series: [.parameter(.sigma)], panels: [.action, .pcaAction, .noise, .pcaNoise])
    case .policy:
      var learnable = base
      learnable.sigma = 0.5
      learnable.latentDim = dA
      var fixed = learnable
      fixed.learnA = false
      let chi = [SweepAxis(key: .chi, values: [0, 0.2, 0.4, 0.6, 0.8, 1])]
      // Each model measured twice: on the policy's own actions and, as the paper does, on random ones.
      let models = [learnable, fixed].flatMap { c -> [LinearConfig] in
        var random = c
        random.evalRandomActions = true
        return [c, random]
      }
      return LinearPlan(
        name: rawValue, configs: try models.flatMap { try grid($0, chi) },
        x: .chi, series: [.learnA, .evaluation], panels: [.action, .pcaAction, .noise, .obs])
    case .convergence:
      let steps = SweepAxis(key: .steps, values: [500, 1000, 2000, 3000, 6000, 12000, 40000])
      return LinearPlan(
        name: rawValue,
        configs: try grid(base, [SweepAxis(key: .dz, values: [around.values[0], around.values[2]]), steps], settings: [.none, .iid, .agents]),
        x: .steps, series: [.setting, .parameter(.dz)], panels: [.llo, .angle, .reconGap, .action])
    }
  }
}
