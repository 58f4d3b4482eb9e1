import Dispatch

/// Per-layer timing of the real training step (`lam bench --profile`): while a timer is `active`, every
/// call wrapped in `timed` is charged to its name and phase, and `scope` prefixes the names inside it
/// ("fdm.decoder." + "deconv1"). Sequential times each child; models time their other pieces. With no
/// timer active a wrapped call costs one branch. A timed call inside another is not charged again, so
/// the entries add up to the time of the leaves.
public final class StepTimer {
  /// Where a piece of a step belongs.
  public enum Phase: String, Sendable, CaseIterable {
    case forward, backward, optimizer
  }

  public struct Entry: Sendable {
    public var name: String
    public var phase: Phase
    public var milliseconds: Double
  }

  /// Entries in first-seen order, summed over every timed step.
  public private(set) var entries: [Entry] = []
  /// Steps timed so far (the caller counts them).
  public var steps = 0
  private var index: [Key: Int] = [:]
  private var prefix = ""
  private var depth = 0

  // The entry of a timed call, found without building its name (this runs around every layer call).
  private struct Key: Hashable {
    var prefix: String
    var name: String
    var phase: Phase
  }

  /// The timer the wrapped calls report to, bound with `StepTimer.$active.withValue(timer) { step() }`;
  /// nil (the default) times nothing. A task-local: other tasks (other tests, say) are not timed.
  @TaskLocal public static var active: StepTimer?

  public init() {}

  fileprivate func time<T>(_ name: String, _ phase: Phase, _ body: () -> T) -> T {
    if depth > 0 { return body() }
    depth += 1
    let start = DispatchTime.now().uptimeNanoseconds
    let result = body()
    let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    depth -= 1
    let key = Key(prefix: prefix, name: name, phase: phase)
    if let i = index[key] {
      entries[i].milliseconds += ms
    } else {
      index[key] = entries.count
      entries.append(Entry(name: prefix + name, phase: phase, milliseconds: ms))
    }
    return result
  }

  fileprivate func scope<T>(_ name: String, _ body: () -> T) -> T {
    let outer = prefix
    prefix += name + "."
    defer { prefix = outer }
    return body()
  }
}

/// `body`, charged to `name` in `phase` when a `StepTimer` is active.
@inline(__always)
public func timed<T>(_ name: String, _ phase: StepTimer.Phase, _ body: () -> T) -> T {
  guard let timer = StepTimer.active else { return body() }
  return timer.time(name, phase, body)
}

/// `body`, with `name.` before the names of the timed calls inside it when a `StepTimer` is active.
@inline(__always)
public func timingScope<T>(_ name: String, _ body: () -> T) -> T {
  guard let timer = StepTimer.active else { return body() }
  return timer.scope(name, body)
}
