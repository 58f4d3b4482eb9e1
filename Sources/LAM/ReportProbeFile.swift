import Foundation

/// probe.json (from `lam probe`) read loosely: numbers and matrices by dotted key path (array entries by
/// number: `distractors.0.mlp`); absent or
/// unreadable means nil, so a report works with or without probes.
struct ProbeFile {
  let root: [String: Any]?

  init(path: String) {
    root = (try? Data(contentsOf: URL(fileURLWithPath: path)))
      .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
  }

  var exists: Bool { root != nil }

  func value(_ path: String) -> Any? {
    var node: Any? = root
    for key in path.split(separator: ".") {
      if let index = Int(key), let array = node as? [Any] {
        node = index < array.count ? array[index] : nil
      } else {
        node = (node as? [String: Any])?[String(key)]
      }
    }
    return node
  }

  func number(_ path: String) -> Double? { (value(path) as? NSNumber)?.doubleValue }

  /// A square matrix of numbers at the first of `paths` that holds one.
  func matrix(_ paths: [String]) -> [[Double]]? {
    for path in paths {
      guard let rows = value(path) as? [[Any]] else { continue }
      let numbers = rows.map { $0.compactMap { ($0 as? NSNumber)?.doubleValue } }
      if !numbers.isEmpty && numbers.allSatisfy({ $0.count == numbers.count }) { return numbers }
    }
    return nil
  }
}
