import Probing
import Training

/// The numbers a sweep collects from each run folder: values of its probe.json and summary.json.
public enum SweepMetric: String, CaseIterable, Sendable {
  case controllableLoss = "controllable_loss"
  case stochasticLoss = "stochastic_loss"
  case actionProbe = "action_probe"
  case actionProbeLinear = "action_probe_linear"
  case actionCeiling = "action_ceiling"
  case actionOfCeiling = "action_of_ceiling"
  case distractorProbe = "distractor_probe"
  case distractorCellProbe = "distractor_cell_probe"
  case codePurity = "code_purity"
  case codeNMI = "code_nmi"
  case valRecon = "val_recon"

  /// A label for tables and plot axes.
  public var label: String {
    switch self {
    case .controllableLoss: return "controllable loss"
    case .stochasticLoss: return "stochastic loss"
    case .actionProbe: return "action probe accuracy (MLP)"
    case .actionProbeLinear: return "action probe accuracy (linear)"
    case .actionCeiling: return "action ceiling"
    case .actionOfCeiling: return "action probe (MLP) / ceiling"
    case .distractorProbe: return "distractor probe accuracy (MLP)"
    case .distractorCellProbe: return "distractor cell probe accuracy (MLP)"
    case .codePurity: return "code purity"
    case .codeNMI: return "code NMI"
    case .valRecon: return "validation recon MSE"
    }
  }

  /// The value in a run's probe.json or summary.json, or nil when absent or not a finite number.
  public func value(probe: ProbeResults?, summary: TrainSummary?) -> Double? {
    let value: Double?
    switch self {
    case .controllableLoss: value = probe?.paper.controllableLoss
    case .stochasticLoss: value = probe?.paper.stochasticLoss
    case .actionProbe: value = probe?.action.mlp.testAccuracy
    case .actionProbeLinear: value = probe?.action.linear.testAccuracy
    case .actionCeiling: value = probe?.action.ceiling
    case .actionOfCeiling: value = probe.flatMap { p in p.action.ceiling.map { p.action.mlp.testAccuracy / $0 } }
    case .distractorProbe: value = probe?.distractors.first?.mlp.testAccuracy
    case .distractorCellProbe: value = probe?.distractorPositions.first?.mlp.testAccuracy
    case .codePurity: value = probe?.codes?.purity
    case .codeNMI: value = probe?.codes?.nmi
    case .valRecon: value = summary.map { Double($0.valRecon) }
    }
    return value.flatMap { $0.isFinite ? $0 : nil }
  }
}
