import Core
import Foundation
import GridWorld

/// report.json: the report's key numbers in machine-readable form, the one type its writer (`lam report`) and
/// its readers (`lam compare`) use. Keys in the file are snake_case.
public struct ReportNumbers: Codable, Equatable, Sendable {
  /// The version written; readers refuse any other (the report is written again).
  public static let formatVersion = 1
  /// The report folder's file.
  public static let file = "report.json"

  public var formatVersion = ReportNumbers.formatVersion
  /// The checkpoint's step the report was made from.
  public var step: Int
  /// Nearest-centroid accuracy of z_e -> agent action on the validation sample.
  public var centroidActionAccuracy: Double
  /// One per distractor, as the environment names it.
  public var distractorNames: [String]
  /// Nearest-centroid accuracy of z_e -> each distractor's action.
  public var centroidDistractorAccuracies: [Double]
  /// How many (source, target) pairs the swap test decoded.
  public var swapPairs: Int
  /// The swap test: the fraction of pairs whose agent moved as the source's action would.
  public var swapAccuracy: Double
  /// The fraction that moved as the target's own action did.
  public var swapFollowsTarget: Double
  /// The fraction whose agent landed on the source's own next cell.
  public var swapFollowsSourceCell: Double
  /// Swap accuracy per source action by name; an action no pair had is left out.
  public var swapAccuracyByAction: [String: Double]
  /// How many pairs' source move is blocked on the target's frame (nil in reports written before it was kept).
  public var swapBlockedPairs: Int?
  /// Swap accuracy over those pairs, and over the others (nil when there are none, or in older reports).
  public var swapAccuracyBlocked: Double?
  public var swapAccuracyUnblocked: Double?

  enum CodingKeys: String, CodingKey {
    case step
    case formatVersion = "format_version", centroidActionAccuracy = "centroid_action_accuracy"
    case distractorNames = "distractor_names", centroidDistractorAccuracies = "centroid_distractor_accuracies"
    case swapPairs = "swap_pairs", swapAccuracy = "swap_accuracy", swapFollowsTarget = "swap_follows_target"
    case swapFollowsSourceCell = "swap_follows_source_cell", swapAccuracyByAction = "swap_accuracy_by_action"
    case swapBlockedPairs = "swap_blocked_pairs", swapAccuracyBlocked = "swap_accuracy_blocked"
    case swapAccuracyUnblocked = "swap_accuracy_unblocked"
  }

  public init(_ result: ReportResult, distractorNames: [String]) {
    step = result.step
    centroidActionAccuracy = result.centroidActionAccuracy
    self.distractorNames = distractorNames
    centroidDistractorAccuracies = result.centroidDistractorAccuracies
    let swap = result.counterfactual
    swapPairs = swap.pairs.count
    swapAccuracy = swap.accuracy
    swapFollowsTarget = swap.followsTarget
    swapFollowsSourceCell = swap.followsSourceCell
    swapAccuracyByAction = Dictionary(uniqueKeysWithValues: zip(Action.names, swap.accuracyByAction).compactMap { name, value in
      value.map { (name, $0) }
    })
    swapBlockedPairs = swap.blockedCount
    swapAccuracyBlocked = swap.accuracyBlocked
    swapAccuracyUnblocked = swap.accuracyUnblocked
  }

  /// `REPORT/report.json`, validated; nil when the folder has none (no report, or one from before report.json).
  public static func load(report reportDir: String) throws -> ReportNumbers? {
    let path = reportDir + "/" + file
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let version = StrictJSON.formatVersion(at: path)
    guard version == formatVersion else {
      throw LamError("\(path): format_version: expected \(formatVersion), got \(version.map(String.init) ?? "none"); write the report again with `lam report`")
    }
    let numbers = try StrictJSON.load(ReportNumbers.self, from: path)
    try numbers.validate(file: path)
    return numbers
  }

  /// Fractions in 0...1, counts not negative, one accuracy per distractor, actions by their names.
  public func validate(file: String) throws {
    try Check.range(step, "step", 0...Int(Int32.max), file: file)
    try Check.range(swapPairs, "swap_pairs", 0...Int(Int32.max), file: file)
    if let swapBlockedPairs { try Check.range(swapBlockedPairs, "swap_blocked_pairs", 0...swapPairs, file: file) }
    for (field, value) in [("centroid_action_accuracy", centroidActionAccuracy), ("swap_accuracy", swapAccuracy),
                           ("swap_follows_target", swapFollowsTarget), ("swap_follows_source_cell", swapFollowsSourceCell)]
      + [("swap_accuracy_blocked", swapAccuracyBlocked), ("swap_accuracy_unblocked", swapAccuracyUnblocked)]
        .compactMap({ field, value in value.map { (field, $0) } })
      + centroidDistractorAccuracies.enumerated().map({ ("centroid_distractor_accuracies[\($0.offset)]", $0.element) })
      + swapAccuracyByAction.sorted(by: { $0.key < $1.key }).map({ ("swap_accuracy_by_action.\($0.key)", $0.value) }) {
      try Check.range(value, field, 0...1, file: file)
    }
    try Check.that(distractorNames.count == centroidDistractorAccuracies.count, "distractor_names",
                   "one name per centroid_distractor_accuracies entry", file: file)
    try Check.that(swapAccuracyByAction.keys.allSatisfy(Action.names.contains), "swap_accuracy_by_action",
                   "keys among \(Action.names.joined(separator: ", "))", file: file)
  }
}
