import Foundation

/// Sizes computed from numbers read from files and configs: nil on overflow instead of a trap.
public enum Sizes {
  /// The product of `factors`, or nil if it does not fit in an Int (or a factor is negative).
  public static func product(_ factors: [Int]) -> Int? {
    var result = 1
    for factor in factors {
      guard factor >= 0 else { return nil }
      let (next, overflow) = result.multipliedReportingOverflow(by: factor)
      if overflow { return nil }
      result = next
    }
    return result
  }

  /// The sum of `terms` (each possibly nil: an overflow further up), or nil if it does not fit in an Int.
  public static func sum(_ terms: [Int?]) -> Int? {
    var result = 0
    for term in terms {
      guard let term else { return nil }
      let (next, overflow) = result.addingReportingOverflow(term)
      if overflow { return nil }
      result = next
    }
    return result
  }

  /// `bytes` as "1.5 GB" (decimal units, as `df -H` prints them).
  public static func describe(_ bytes: UInt64) -> String {
    let value = Double(bytes)
    for (unit, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where value >= scale {
      return String(format: "%.1f %@", value / scale, unit)
    }
    return "\(bytes) bytes"
  }
}

extension Check {
  /// The memory this process may use: the machine's, or less where a limit says so (`ulimit -v`, a
  /// container's cgroup), since an allocation past a limit aborts just as one past the machine's memory.
  public static var machineMemory: UInt64 {
    var memory = ProcessInfo.processInfo.physicalMemory
    var limit = rlimit()
    if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max { memory = min(memory, UInt64(limit.rlim_cur)) }
    if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
       let cgroup = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
      memory = min(memory, cgroup)
    }
    return memory
  }

  /// Throws when `bytes` (nil: too large to count) exceed the memory this process may use, naming the field and what
  /// asked for it, before anything is allocated.
  public static func memory(_ bytes: Int?, _ field: String, what: String, file: String? = nil) throws {
    guard let bytes, UInt64(bytes) <= machineMemory else {
      let need = bytes.map { "about " + Sizes.describe(UInt64($0)) } ?? "more than can be counted"
      throw LamError("\(prefix(file))\(field): the \(what) needs \(need) of memory, more than the \(Sizes.describe(machineMemory)) this process may use (the machine's memory or a limit)")
    }
  }
}
