import Probing
import Reports
import Training

/// The numbers a sweep collects from each run folder: values of its probe.json and summary.json, and of its
/// report/report.json (`lam sweep collect --reports` writes the reports) for the swap test.
public enum SweepMetric: String, CaseIterable, Sendable {
  case controllableLoss = "controllable_loss"
  case stochasticLoss = "stochastic_loss"
  case actionProbe = "action_probe"
  case actionProbeLinear = "action_probe_linear"
  case actionCeiling = "action_ceiling"
  case actionOfCeiling = "action_of_ceiling"
  case distractorProbe = "distractor_probe"
  case distractorCellProbe = "distractor_cell_probe"
  case agentCellProbe = "agent_cell_probe"
  case codePurity = "code_purity"
  case codeNMI = "code_nmi"
  case valRecon = "val_recon"
  case swapAccuracy = "swap_accuracy"
  case swapAccuracyUnblocked = "swap_accuracy_unblocked"

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
    case .agentCellProbe: return "agent cell probe accuracy (MLP)"
    case .codePurity: return "code purity"
    case .codeNMI: return "code NMI"
    case .valRecon: return "validation recon MSE"
    case .swapAccuracy: return "latent swap accuracy"
    case .swapAccuracyUnblocked: return "latent swap accuracy, unblocked moves"
    }
  }

  /// The value axis of the metric's plot: what is measured and in which unit.
  public var axisLabel: String {
    switch self {
    case .controllableLoss, .stochasticLoss: return label + " (MSE / pixel variance of o')"
    case .actionProbe: return "action probe (MLP): held-out accuracy"
    case .actionProbeLinear: return "action probe (linear): held-out accuracy"
    case .distractorProbe: return "first distractor's action probe (MLP): held-out accuracy"
    case .distractorCellProbe: return "first distractor's cell probe (MLP): held-out accuracy"
    case .agentCellProbe: return "the agent's cell after the step, probe (MLP): held-out accuracy"
    case .actionCeiling: return "action ceiling: best reachable accuracy"
    case .actionOfCeiling: return "action probe (MLP) accuracy / ceiling"
    case .codePurity: return "code purity (fraction of the code's majority action)"
    case .codeNMI: return "code NMI (0: independent, 1: same information)"
    case .valRecon: return "validation reconstruction (MSE per pixel value)"
    case .swapAccuracy: return "latent swap: fraction of pairs whose agent moves as the source's action would"
    case .swapAccuracyUnblocked: return "latent swap, pairs whose move the target's walls allow: fraction moved right"
    }
  }

  /// What the metric's chance mark stands for in a plot legend: the score of a latent that holds nothing.
  public var chanceName: String {
    switch self {
    case .controllableLoss, .stochasticLoss: return "latent of another transition (holds nothing)"
    default: return "chance (always the most frequent class)"
    }
  }

  /// The level a latent that holds nothing of the target scores, in this run; nil where the metric has none.
  /// Accuracies: always answering the most frequent class; the paper's losses: decoding each transition
  /// from another transition's latent.
  public func chance(probe: ProbeResults?) -> Double? {
    guard let probe else { return nil }
    let value: Double?
    switch self {
    case .controllableLoss: value = probe.paper.controllableLossShuffled
    case .stochasticLoss: value = probe.paper.stochasticLossShuffled
    case .actionProbe, .actionProbeLinear, .actionCeiling: value = probe.action.chance
    case .actionOfCeiling: value = probe.action.ceiling.map { probe.action.chance / $0 }
    case .distractorProbe: value = probe.distractors.first?.chance
    case .distractorCellProbe: value = probe.distractorPositions.first?.chance
    case .agentCellProbe: value = probe.position.chance
    case .codePurity, .codeNMI, .valRecon, .swapAccuracy, .swapAccuracyUnblocked: value = nil
    }
    return value.flatMap { $0.isFinite ? $0 : nil }
  }

  /// The best score any predictor can reach from the frames, in this run; nil where the metric has none.
  public func ceiling(probe: ProbeResults?) -> Double? {
    guard let probe else { return nil }
    let value: Double?
    switch self {
    case .actionProbe, .actionProbeLinear: value = probe.action.ceiling
    case .actionOfCeiling: value = probe.action.ceiling.map { _ in 1 }
    case .swapAccuracy, .swapAccuracyUnblocked: value = 1  // the expected cell accounts for walls and blocked moves
    case .distractorProbe: value = probe.distractors.first?.ceiling
    default: value = nil
    }
    return value.flatMap { $0.isFinite ? $0 : nil }
  }

  /// The value in a run's probe.json, summary.json or report.json, or nil when absent or not a finite number.
  public func value(probe: ProbeResults?, summary: TrainSummary?, report: ReportNumbers? = nil) -> Double? {
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
    case .agentCellProbe: value = probe?.position.mlp.testAccuracy
    case .codePurity: value = probe?.codes?.purity
    case .codeNMI: value = probe?.codes?.nmi
    case .valRecon: value = summary.map { Double($0.valRecon) }
    case .swapAccuracy: value = report?.swapAccuracy
    case .swapAccuracyUnblocked: value = report?.swapAccuracyUnblocked
    }
    return value.flatMap { $0.isFinite ? $0 : nil }
  }
}
