import Foundation

/// The numbers a sweep collects from each run folder: a fixed table of probe.json and summary.json values.
public enum SweepMetric: String, CaseIterable, Sendable {
  case controllableLoss = "controllable_loss"
  case stochasticLoss = "stochastic_loss"
  case actionProbe = "action_probe"
  case actionProbeLinear = "action_probe_linear"
  case actionCeiling = "action_ceiling"
  case distractorProbe = "distractor_probe"
  case distractorCellProbe = "distractor_cell_probe"
  case codePurity = "code_purity"
  case codeNMI = "code_nmi"
  case valRecon = "val_recon"

  /// The run folder's file the value is read from.
  public var file: String {
    self == .valRecon ? TrainingRun.summaryFile : "probe.json"
  }

  /// The value's path in that file: object keys, and array indices written as numbers.
  public var path: [String] {
    switch self {
    case .controllableLoss: return ["paper", "controllable_loss"]
    case .stochasticLoss: return ["paper", "stochastic_loss"]
    case .actionProbe: return ["action", "mlp", "test_accuracy"]
    case .actionProbeLinear: return ["action", "linear", "test_accuracy"]
    case .actionCeiling: return ["action", "ceiling"]
    case .distractorProbe: return ["distractors", "0", "mlp", "test_accuracy"]
    case .distractorCellProbe: return ["distractor_positions", "0", "mlp", "test_accuracy"]
    case .codePurity: return ["codes", "purity"]
    case .codeNMI: return ["codes", "nmi"]
    case .valRecon: return ["val_recon"]
    }
  }

  /// A label for tables and plot axes.
  public var label: String {
    switch self {
    case .controllableLoss: return "controllable loss"
    case .stochasticLoss: return "stochastic loss"
    case .actionProbe: return "action probe accuracy (MLP)"
    case .actionProbeLinear: return "action probe accuracy (linear)"
    case .actionCeiling: return "action ceiling"
    case .distractorProbe: return "distractor probe accuracy (MLP)"
    case .distractorCellProbe: return "distractor cell probe accuracy (MLP)"
    case .codePurity: return "code purity"
    case .codeNMI: return "code NMI"
    case .valRecon: return "validation recon MSE"
    }
  }

  /// The value in a parsed JSON file, or nil when absent or not a finite number.
  public func value(in json: Any) -> Double? {
    var node: Any = json
    for key in path {
      if let index = Int(key) {
        guard let array = node as? [Any], index < array.count else { return nil }
        node = array[index]
      } else {
        guard let object = node as? [String: Any], let next = object[key] else { return nil }
        node = next
      }
    }
    guard let number = (node as? NSNumber)?.doubleValue, number.isFinite else { return nil }
    return number
  }
}
